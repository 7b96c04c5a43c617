import { InvalidInputError } from '@tessera/common';

/** A modality whose tokens are integer ids (sub-word pieces, hashed words, tag ids). */
export interface IdsModalitySpec {
  name: string;
  kind: 'ids';
  /** Id 0 is reserved for padding; valid ids are 1..vocabSize-1. */
  vocabSize: number;
  /** Longer sequences are cut to this many tokens. */
  maxLength: number;
  /** Tokens the lexical channel reads (≥ maxLength; default maxLength); the transformer still reads maxLength. */
  lexicalMaxLength?: number;
  /**
   * Set when the lexical channel reads its own ids (`lexicalTokens`, hashed into this many buckets) instead of
   * the transformer's `tokens`: fewer hash collisions than an embedding table can afford.
   */
  lexicalVocabSize?: number;
}

/** A modality whose tokens are dense vectors (image patches, video frame features), projected to d. */
export interface DenseModalitySpec {
  name: string;
  kind: 'dense';
  inputDim: number;
  maxLength: number;
}

export type ModalitySpec = IdsModalitySpec | DenseModalitySpec;

export type FusionStrategy = 'mean' | 'token' | 'early';

/**
 * How the output is pooled: `cls` = the fused CLS vector only; `cls+bag` adds LN(masked mean of the raw
 * token embeddings of every present modality) to it, a bag-of-tokens residual beside the transformer
 * (an early-fusion pooling choice that lets exact token identity reach the score directly).
 */
export type PoolingStrategy = 'cls' | 'cls+bag';

/** Architecture of the item encoder (spec §3.1; CPU sizes §7). */
export interface ItemEncoderConfig {
  modalities: ModalitySpec[];
  /** Width d of every token and of the output embedding. Default 64 (spec §7 allows 64 or 128 on CPU). */
  dModel?: number;
  /** Attention heads per block. Default 4. */
  numHeads?: number;
  /** Transformer blocks per modality encoder (or of the shared encoder for `early`). Default 1. */
  layers?: number;
  /** Blocks of the fusion transformer (`token` fusion). Default 1. */
  fusionLayers?: number;
  /** `token` (default): a transformer over [CLS_fuse, h_m…]; `mean`: LN(mean h_m); `early`: one encoder over all tokens. */
  fusion?: FusionStrategy;
  /** Dropout inside the blocks while training. Default 0.1. */
  dropout?: number;
  /** Output pooling, `cls` (default) or `cls+bag`. */
  pooling?: PoolingStrategy;
  /** Seed of every initialiser. Default 1. */
  seed?: number;
}

export type ResolvedEncoderConfig = Required<ItemEncoderConfig>;

export const ENCODER_DEFAULTS = {
  dModel: 64,
  numHeads: 4,
  layers: 1,
  fusionLayers: 1,
  fusion: 'token' as FusionStrategy,
  dropout: 0.1,
  pooling: 'cls' as PoolingStrategy,
  seed: 1,
};

/** Fills defaults and rejects impossible settings with every problem in one message. */
export function resolveEncoderConfig(config: ItemEncoderConfig): ResolvedEncoderConfig {
  const c: ResolvedEncoderConfig = { ...ENCODER_DEFAULTS, ...config } as ResolvedEncoderConfig;
  const problems: string[] = [];
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive integer, got ${v}`);
  };
  posInt('dModel', c.dModel);
  posInt('numHeads', c.numHeads);
  posInt('layers', c.layers);
  if (!Number.isInteger(c.fusionLayers) || c.fusionLayers < 0)
    problems.push(`fusionLayers must be ≥ 0, got ${c.fusionLayers}`);
  if (c.dModel % c.numHeads !== 0) problems.push(`dModel ${c.dModel} is not divisible by numHeads ${c.numHeads}`);
  if (!['mean', 'token', 'early'].includes(c.fusion))
    problems.push(`fusion must be mean, token or early, got ${c.fusion}`);
  if (!['cls', 'cls+bag'].includes(c.pooling)) problems.push(`pooling must be cls or cls+bag, got ${c.pooling}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push(`dropout must be in [0, 1), got ${c.dropout}`);
  if (c.modalities.length === 0) problems.push('at least one modality is needed');
  const names = new Set<string>();
  for (const m of c.modalities) {
    if (!m.name || names.has(m.name)) problems.push(`modality names must be unique and non-empty ('${m.name}')`);
    names.add(m.name);
    posInt(`${m.name}.maxLength`, m.maxLength);
    if (m.kind === 'ids') {
      if (!Number.isInteger(m.vocabSize) || m.vocabSize < 2)
        problems.push(`${m.name}.vocabSize must be ≥ 2, got ${m.vocabSize}`);
      if (m.lexicalVocabSize !== undefined && (!Number.isInteger(m.lexicalVocabSize) || m.lexicalVocabSize < 2))
        problems.push(`${m.name}.lexicalVocabSize must be ≥ 2, got ${m.lexicalVocabSize}`);
    } else if (m.kind === 'dense') posInt(`${m.name}.inputDim`, m.inputDim);
    else problems.push(`${(m as ModalitySpec).name}.kind must be 'ids' or 'dense'`);
  }
  if (problems.length > 0)
    throw new InvalidInputError(`invalid item encoder config: ${problems.join('; ')}`, { problems });
  return c;
}
