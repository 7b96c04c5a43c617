import { InvalidInputError } from '@tessera/common';
import { z } from 'zod';

/**
 * Training configuration of the cold-start item encoder (spec §3.3; CPU sizes of §7).
 * Every field has a documented default; `parseColdStartConfig` validates and lists every bad key.
 */
export const coldStartConfigSchema = z.object({
  /** Width d of items and users. Spec: 256 (GPU), 128 or 64 on CPU. */
  dModel: z.number().int().positive().default(64),
  numHeads: z.number().int().positive().default(4),
  /** Transformer blocks per modality encoder. */
  layers: z.number().int().min(1).max(4).default(1),
  /** Blocks of the fusion transformer (`token` fusion). */
  fusionLayers: z.number().int().min(0).max(4).default(1),
  fusion: z.enum(['mean', 'token', 'early']).default('token'),
  dropout: z.number().min(0).max(0.9).default(0.1),
  /**
   * Share of an item's id tokens dropped at random in each training step (a set-input regulariser:
   * an item must be recognisable from part of its tags); at least one token per modality stays. 0 = off.
   */
  tokenDropout: z.number().min(0).max(0.9).default(0),
  /** Output pooling: the fused CLS (`cls`) or CLS + LN(mean of raw token embeddings) (`cls+bag`). */
  pooling: z.enum(['cls', 'cls+bag']).default('cls'),
  /**
   * Warm-user vectors: `free` embeddings (spec §3.3), or the `history` tower over the content of the user's
   * training positives (no per-user parameters; users are tied to content, which generalises to cold items).
   */
  userTower: z.enum(['free', 'history']).default('free'),
  /**
   * Adds the learned sparse score over id tokens beside the dense dot product (token weights start at the
   * corpus idf; users' profiles are the mean over their training positives). Uses `historySize` per step.
   */
  lexical: z.boolean().default(false),
  /** Lexical channel: learn a weight per token (`learned`), or keep the idf weights and learn only α and γ (`idf`). */
  lexicalWeights: z.enum(['idf', 'learned']).default('learned'),
  /**
   * Lexical channel: tokens found in fewer items than this get weight 0, as the TF-IDF profile drops them. A token
   * of one item cannot link two items; kept, it only dilutes that item's norm (CiteULike-a seed 1, untrained
   * channel: NDCG@20 0.3538 with every token, 0.3569 at 2).
   */
  lexicalMinDf: z.number().int().min(1).default(2),
  /**
   * Lexical channel: a user's profile in training. `sampled`: the `historySize` positives the history tower samples
   * (in the graph, so α and γ get gradient from both sides). `full`: all their training positives up to
   * `servingHistory` except the items the batch asks them to rank, as serving builds it (a constant of the step),
   * so the dense part learns beside the sparse score at the strength it has when served.
   */
  lexicalProfile: z.enum(['sampled', 'full']).default('sampled'),
  /**
   * Lexical channel: after training, pick α and γ on the validation split from a grid of multiples of the trained
   * values (training profiles hold `historySize` items, served ones up to `servingHistory`). Needs validation.
   */
  lexicalCalibration: z.boolean().default(true),
  /** History tower: training positives sampled per user and step (the batch's own items are never among them). */
  historySize: z.number().int().min(1).default(16),
  /** History tower: at most this many of a user's training positives make their served vector. */
  servingHistory: z.number().int().min(1).default(256),
  /** Ranking loss: batch sampled softmax (default) or the pairwise rating-order variant. */
  loss: z.enum(['sampled-softmax', 'pairwise-rating-order']).default('sampled-softmax'),
  /** τ of the ranking loss. */
  temperature: z.number().positive().default(0.5),
  /** λ of the multimodal alignment loss (0 turns it off; the spec's optional value is 0.1). */
  alignmentWeight: z.number().min(0).default(0),
  /** τ_a of the alignment InfoNCE. */
  alignmentTemperature: z.number().positive().default(0.07),
  /**
   * 'interactions' (spec §3.3): shuffled interactions, `batchSize` per batch. 'items': shuffled warm
   * items, `itemsPerBatch` per batch, each with all its training positives — every encoded item then
   * carries several positives, about 4× less encoder work per epoch on MovieLens (a CPU budget choice).
   */
  batchBy: z.enum(['interactions', 'items']).default('interactions'),
  /** Interactions per batch (batchBy 'interactions'). */
  batchSize: z.number().int().min(2).default(512),
  /** Positive items per batch (batchBy 'items'). */
  itemsPerBatch: z.number().int().min(2).default(128),
  /** Non-interacted items sampled per batch user and added to the batch item set B. */
  negativesPerUser: z.number().int().min(0).default(32),
  /** Cap on sampled items per batch (the CPU budget: every item in B is encoded). */
  maxSampledItems: z.number().int().min(0).default(256),
  /** Adam learning rate of the encoder. */
  encoderLr: z.number().positive().default(1e-4),
  /** Adam learning rate of the free user embeddings. */
  userLr: z.number().positive().default(1e-3),
  /** L2 penalty on the batch's user embeddings (0 = off). */
  userL2: z.number().min(0).default(0),
  /** Global-norm gradient clipping of the encoder (0 = off). */
  clipNorm: z.number().min(0).default(5),
  epochs: z.number().int().min(1).default(20),
  /** Optional cap on steps per epoch (quick runs); 0 = a full pass over the positives. */
  maxStepsPerEpoch: z.number().int().min(0).default(0),
  /** Epochs without a better cold-validation Recall@K before stopping. */
  patience: z.number().int().min(1).default(3),
  /** K of the early-stopping metric (cold-validation Recall@K). */
  validationK: z.number().int().positive().default(20),
  /** Validation users scored per evaluation (0 = all); a fixed seeded subset keeps epochs short. */
  maxValidationUsers: z.number().int().min(0).default(0),
  seed: z.number().int().default(1),
});

export type ColdStartConfig = z.output<typeof coldStartConfigSchema>;
export type ColdStartConfigInput = z.input<typeof coldStartConfigSchema>;

export function parseColdStartConfig(input: ColdStartConfigInput = {}): ColdStartConfig {
  const r = coldStartConfigSchema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InvalidInputError(`invalid cold-start config: ${problems.join('; ')}`, { problems });
  }
  const c = r.data;
  if (c.dModel % c.numHeads !== 0)
    throw new InvalidInputError(
      `invalid cold-start config: dModel ${c.dModel} is not divisible by numHeads ${c.numHeads}`,
    );
  return c;
}
