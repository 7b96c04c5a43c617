import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import type { SparseVector } from '../baselines';
import type { Interaction } from '../data';
import type { ItemTokens } from '../encoder';
import { multimodalAlignmentLoss, rankingLosses } from '../losses';
import {
  buildBatch,
  type HistorySampling,
  indexInteractions,
  type InteractionIndex,
  type PreparedBatch,
} from './cold-start-batch';
import type { ColdStartConfig } from './cold-start.config';
import type { ColdStartModel } from './cold-start-model';
import { evaluateRankingTask, type RankingTask } from './cold-validation';
import { calibrateLexical, type LexicalCalibration } from './lexical-calibration';
import { type LexicalChannel, meanSparse } from './lexical-channel';

/** What training sees: warm-item interactions only, plus content tokens for every item. */
export interface ColdStartTrainingData {
  /** Every training interaction (any rating): N(u) for the loss's masks. */
  interactions: readonly Interaction[];
  /** Training positives (the sampled softmax learns from these; the pairwise variant uses `interactions`). */
  positives: readonly Interaction[];
  /** Content tokens by item id (warm and cold); items without an entry encode as empty content. */
  itemTokens: ReadonlyMap<number, ItemTokens>;
  /** Cold-validation task for early stopping; without it every epoch runs and the last weights are kept. */
  validation?: RankingTask;
}

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  /** Running mean of the batch losses in this epoch. */
  loss: number;
  elapsedMs: number;
  /** Estimated time left for the remaining epochs (early stopping may end sooner). */
  etaMs: number;
  /** Cold-validation Recall@K, reported once per epoch after it is computed. */
  validationRecall?: number;
  /** The lexical channel's calibration, reported once after training. */
  lexicalCalibration?: LexicalCalibration;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  validationRecall?: number;
  ms: number;
}

export interface TrainerState {
  /** Epochs completed. */
  epoch: number;
  bestEpoch: number;
  bestValidation: number;
  history: EpochRecord[];
}

export interface FitOptions {
  onProgress?: (p: TrainingProgress) => void;
  /** Called after each epoch (after validation), e.g. to write a resumable checkpoint. */
  onEpochEnd?: (state: TrainerState, improved: boolean) => void | Promise<void>;
  /** Start from this state (a resumed checkpoint); its weights must already be in the model. */
  resumeFrom?: TrainerState;
}

export interface TrainingReport extends TrainerState {
  stoppedEarly: boolean;
  msPerEpoch: number;
  /** How validation re-set the lexical channel's α and γ after training (lexical models with validation). */
  lexicalCalibration?: LexicalCalibration;
}

/**
 * Items with each id token kept with probability 1 − p (seeded); every modality keeps at least one
 * token, so no item loses a modality. Dense tokens (image patches, frames) are left alone.
 */
export function dropTokens(items: readonly ItemTokens[], p: number, rng: Rng): ItemTokens[] {
  return items.map((it) => {
    const modalities: ItemTokens['modalities'] = {};
    for (const [name, mt] of Object.entries(it.modalities)) {
      if (mt.kind !== 'ids' || mt.tokens.length < 2) {
        modalities[name] = mt;
        continue;
      }
      const ids = mt.tokens as ArrayLike<number>;
      const kept: number[] = [];
      for (let t = 0; t < ids.length; t++) if (rng.next() >= p) kept.push(ids[t]);
      if (kept.length === 0) kept.push(ids[Math.floor(rng.next() * ids.length)]);
      // The lexical channel's own ids (if any) stay whole: the channel reads every token when serving too.
      modalities[name] = { ...mt, tokens: kept };
    }
    return { modalities };
  });
}

/**
 * Trains a ColdStartModel end-to-end from user activity (spec §3.3): batches of interactions,
 * the batch's distinct items plus sampled items encoded once, ranking loss (+ optional alignment),
 * Adam with a separate learning rate for the user table, early stopping on cold-validation Recall@K.
 * No category label is ever a target.
 */
export class ColdStartTrainer {
  readonly encoderOptimizer: tf.AdamOptimizer;
  readonly userOptimizer: tf.AdamOptimizer;
  private bestSnapshot?: { encoder: Map<string, tf.Tensor>; users: Map<string, tf.Tensor> };

  /** Pass optimisers restored from a checkpoint to resume; fresh Adams otherwise. */
  constructor(
    readonly config: ColdStartConfig,
    readonly model: ColdStartModel,
    optimizers: { encoder?: tf.Optimizer; users?: tf.Optimizer } = {},
  ) {
    this.encoderOptimizer = (optimizers.encoder ?? tf.train.adam(config.encoderLr)) as tf.AdamOptimizer;
    this.userOptimizer = (optimizers.users ?? tf.train.adam(config.userLr)) as tf.AdamOptimizer;
  }

  /**
   * One optimisation step on a prepared batch; returns the loss. Leaves no tensors behind. Reads the loss
   * with `await data()`, so it runs on any backend (WebGPU has no synchronous download).
   */
  async stepAsync(
    batch: PreparedBatch,
    tokensOf: (itemId: number) => ItemTokens | undefined,
    seed: number,
    /** Each user's first `servingHistory` training positives: the source of `lexicalProfile: 'full'` profiles. */
    positivesOf?: ReadonlyMap<number, readonly number[]>,
  ): Promise<number> {
    let profiles: (SparseVector | undefined)[] | undefined;
    if (this.model.lexical && this.config.lexicalProfile === 'full') {
      if (!positivesOf) throw new InvalidInputError("lexicalProfile 'full' needs the users' training positives");
      profiles = await lexicalBatchProfiles(this.model.lexical, batch, positivesOf, tokensOf);
    }
    const value = this.applyStep(batch, tokensOf, seed, profiles);
    try {
      return (await value.data())[0];
    } finally {
      value.dispose();
    }
  }

  /** Computes the loss, applies the update, and returns the loss tensor (the caller reads and disposes it). */
  private applyStep(
    batch: PreparedBatch,
    tokensOf: (itemId: number) => ItemTokens | undefined,
    seed: number,
    profiles?: (SparseVector | undefined)[],
  ): tf.Scalar {
    const c = this.config;
    const withDropout = (ids: readonly number[], salt: number) => {
      const raw = ids.map((id) => tokensOf(id) ?? { modalities: {} });
      return c.tokenDropout > 0 ? dropTokens(raw, c.tokenDropout, new Rng(seed ^ salt)) : raw;
    };
    const items = withDropout(batch.itemIds, 0x70ced);
    const history = batch.history;
    if ((this.model.userTower === 'history' || (this.model.lexical && !profiles)) && !history)
      throw new InvalidInputError('a history-tower or lexical model needs batches with user histories');
    const historyItems = history ? withDropout(history.itemIds, 0x4157) : [];
    const lossFn = rankingLosses[c.loss];
    const encoderVars = this.model.store.trainable();
    const userVar = this.model.userTable;
    const freeUsers = this.model.userTower === 'free';
    return tf.tidy(() => {
      const { value: loss, grads } = tf.variableGrads(
        () => {
          const { z, views } = this.model.encoder.encode(items, { training: true, seed });
          const histories = history && {
            items: historyItems,
            pairUser: history.pairUser,
            pairItem: history.pairItem,
            users: batch.userIds.length,
          };
          const users = freeUsers
            ? (tf.gather(userVar, tf.tensor1d(batch.userRows, 'int32')) as tf.Tensor2D)
            : this.model.historyVectors(histories!);
          const dense = tf.matMul(users, z, false, true) as tf.Tensor2D;
          const lexical = this.model.lexical;
          const sparse =
            lexical && (profiles ? lexical.profileScores(items, profiles) : lexical.batchScores(items, histories!));
          const scores = sparse ? (tf.add(dense, sparse) as tf.Tensor2D) : dense;
          let total = lossFn({ ...batch, scores }, { temperature: c.temperature }).loss;
          if (c.alignmentWeight > 0 && views.length > 1) {
            total = tf.add(
              total,
              tf.mul(c.alignmentWeight, multimodalAlignmentLoss(views, { temperature: c.alignmentTemperature })),
            ) as tf.Scalar;
          }
          if (c.userL2 > 0) total = tf.add(total, tf.mul(c.userL2, tf.mean(tf.sum(tf.square(users), 1)))) as tf.Scalar;
          return total;
        },
        freeUsers ? [...encoderVars, userVar] : encoderVars,
      );
      const userGrad = freeUsers ? grads[userVar.name] : undefined;
      const encGrads: tf.NamedTensorMap = {};
      for (const v of encoderVars) if (grads[v.name]) encGrads[v.name] = grads[v.name];
      if (c.clipNorm > 0) {
        const norm = tf.sqrt(tf.addN(Object.values(encGrads).map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(1, tf.div(c.clipNorm, tf.add(norm, 1e-12)));
        for (const k of Object.keys(encGrads)) encGrads[k] = tf.mul(encGrads[k], scale);
      }
      this.encoderOptimizer.applyGradients(Object.entries(encGrads).map(([name, tensor]) => ({ name, tensor })));
      if (userGrad) this.userOptimizer.applyGradients([{ name: userVar.name, tensor: userGrad }]);
      return loss;
    });
  }

  /** Cold-validation Recall@K (K = config.validationK) on a fixed, seeded subset of users. */
  async validate(task: RankingTask, tokensOf: (itemId: number) => ItemTokens | undefined): Promise<number> {
    const users = this.validationUsers(task);
    const k = this.config.validationK;
    return (await evaluateRankingTask(this.model, task, tokensOf, [k], users))[`recall@${k}`];
  }

  async fit(data: ColdStartTrainingData, opts: FitOptions = {}): Promise<TrainingReport> {
    const c = this.config;
    const examples = c.loss === 'pairwise-rating-order' ? data.interactions : data.positives;
    if (examples.length === 0) throw new InvalidInputError('no training examples (positives) to learn from');
    if (c.loss === 'pairwise-rating-order' && examples.every((x) => x.rating === undefined)) {
      throw new InvalidInputError('the pairwise rating-order loss needs explicit ratings; this dataset is implicit');
    }
    const index: InteractionIndex = indexInteractions(data.interactions);
    const tokensOf = (id: number) => data.itemTokens.get(id);
    const needsHistory =
      this.model.userTower === 'history' || (this.model.lexical !== undefined && c.lexicalProfile === 'sampled');
    const history = needsHistory ? historySampling(data.positives, c.historySize) : undefined;
    if (this.model.lexical && !opts.resumeFrom) this.model.lexical.initFromItems(data.itemTokens.values());
    // The history tower's vectors go into the user table (and the lexical profiles are built) before every
    // evaluation and at the end.
    const historyOf = servingHistories(data, c);
    // 'full' lexical training profiles start from the list serving builds a warm user from.
    const positivesOf =
      this.model.lexical && c.lexicalProfile === 'full' ? positivesByUser(data.positives, c.servingHistory) : undefined;
    const materialize = async () => {
      this.model.materializeUsers(historyOf);
      await this.model.materializeProfiles(historyOf);
    };
    const rowOf = (u: number) => this.model.rowOf(u);
    const byItem = new Map<number, Interaction[]>();
    if (c.batchBy === 'items') {
      for (const x of examples) {
        let list = byItem.get(x.itemId);
        if (!list) byItem.set(x.itemId, (list = []));
        list.push(x);
      }
    }
    const itemKeys = [...byItem.keys()].sort((a, b) => a - b);
    const full =
      c.batchBy === 'items' ? Math.ceil(itemKeys.length / c.itemsPerBatch) : Math.ceil(examples.length / c.batchSize);
    const stepsPerEpoch = c.maxStepsPerEpoch > 0 ? Math.min(full, c.maxStepsPerEpoch) : full;
    const state: TrainerState = opts.resumeFrom
      ? structuredClone(opts.resumeFrom)
      : { epoch: 0, bestEpoch: 0, bestValidation: Number.NEGATIVE_INFINITY, history: [] };
    const started = Date.now();
    let stoppedEarly = false;
    let epochsThisRun = 0;
    while (state.epoch < c.epochs) {
      const epoch = state.epoch + 1;
      const t0 = Date.now();
      // Per-epoch generators make an epoch repeatable after a resume.
      const orderRng = new Rng(c.seed * 1009 + epoch);
      const order = c.batchBy === 'items' ? [] : orderRng.shuffle([...examples]);
      const itemOrder = c.batchBy === 'items' ? orderRng.shuffle([...itemKeys]) : [];
      const slice = (s: number): Interaction[] =>
        c.batchBy === 'items'
          ? itemOrder.slice(s * c.itemsPerBatch, (s + 1) * c.itemsPerBatch).flatMap((id) => byItem.get(id)!)
          : order.slice(s * c.batchSize, (s + 1) * c.batchSize);
      const sampler = new Rng(c.seed * 7919 + epoch);
      let lossSum = 0;
      let steps = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const batch = buildBatch(slice(s), index, rowOf, sampler, c, history);
        if (!batch) continue;
        try {
          lossSum += await this.stepAsync(batch, tokensOf, (c.seed * 65537 + epoch * 4099 + s) >>> 0, positivesOf);
          steps++;
        } catch (e) {
          // A pairwise batch without any ordered pair has nothing to learn; every other error is real.
          if (!(e instanceof InvalidInputError && /no ordered pair/.test(e.message))) throw e;
        }
        const elapsed = Date.now() - started;
        const done = epochsThisRun * stepsPerEpoch + s + 1;
        const left = (c.epochs - state.epoch) * stepsPerEpoch - (s + 1);
        opts.onProgress?.({
          epoch,
          epochs: c.epochs,
          step: s + 1,
          stepsPerEpoch,
          loss: steps > 0 ? lossSum / steps : Number.NaN,
          elapsedMs: elapsed,
          etaMs: (elapsed / done) * left,
        });
      }
      const record: EpochRecord = { epoch, loss: steps > 0 ? lossSum / steps : Number.NaN, ms: 0 };
      let improved = false;
      await materialize();
      if (data.validation) {
        record.validationRecall = await this.validate(data.validation, tokensOf);
        if (record.validationRecall > state.bestValidation) {
          improved = true;
          state.bestValidation = record.validationRecall;
          state.bestEpoch = epoch;
          this.snapshotBest();
        }
      } else {
        improved = true;
        state.bestEpoch = epoch;
      }
      record.ms = Date.now() - t0;
      state.history.push(record);
      state.epoch = epoch;
      epochsThisRun++;
      opts.onProgress?.({
        epoch,
        epochs: c.epochs,
        step: stepsPerEpoch,
        stepsPerEpoch,
        loss: record.loss,
        elapsedMs: Date.now() - started,
        etaMs: ((Date.now() - started) / epochsThisRun) * (c.epochs - epoch),
        validationRecall: record.validationRecall,
      });
      await opts.onEpochEnd?.(structuredClone(state), improved);
      if (data.validation && epoch - state.bestEpoch >= c.patience) {
        stoppedEarly = true;
        break;
      }
    }
    // Without a validation split the last weights stay, and the table was filled after the last epoch.
    this.restoreBest();
    // The restored weights may differ from the last epoch's: rebuild what is derived from them.
    await materialize();
    let lexicalCalibration: LexicalCalibration | undefined;
    if (this.model.lexical && data.validation && c.lexicalCalibration) {
      lexicalCalibration = await calibrateLexical(
        this.model,
        data.validation,
        tokensOf,
        this.validationUsers(data.validation),
        c.validationK,
        () => this.model.materializeProfiles(historyOf),
      );
      opts.onProgress?.({
        epoch: state.epoch,
        epochs: c.epochs,
        step: stepsPerEpoch,
        stepsPerEpoch,
        loss: state.history.at(-1)?.loss ?? Number.NaN,
        elapsedMs: Date.now() - started,
        etaMs: 0,
        lexicalCalibration,
      });
    }
    const ms = state.history.reduce((a, h) => a + h.ms, 0);
    return {
      ...state,
      stoppedEarly,
      msPerEpoch: state.history.length > 0 ? ms / state.history.length : 0,
      ...(lexicalCalibration ? { lexicalCalibration } : {}),
    };
  }

  dispose(): void {
    this.encoderOptimizer.dispose();
    this.userOptimizer.dispose();
    this.dropSnapshot();
  }

  private validationUsers(task: RankingTask): number[] {
    const all = [...task.relevant.keys()].sort((a, b) => a - b);
    const cap = this.config.maxValidationUsers;
    if (cap === 0 || all.length <= cap) return all;
    return new Rng(this.config.seed ^ 0x7a11d).shuffle(all).slice(0, cap);
  }

  private snapshotBest(): void {
    this.dropSnapshot();
    const copy = (store: ColdStartModel['store']) =>
      new Map(store.entries().map(([n, v]) => [n, tf.clone(v) as tf.Tensor]));
    this.bestSnapshot = { encoder: copy(this.model.store), users: copy(this.model.userStore) };
  }

  /** Puts the best-validation weights back (no-op when nothing was snapshotted). */
  private restoreBest(): void {
    if (!this.bestSnapshot) return;
    this.model.store.assign(Object.fromEntries(this.bestSnapshot.encoder));
    this.model.userStore.assign(Object.fromEntries(this.bestSnapshot.users));
    this.dropSnapshot();
  }

  private dropSnapshot(): void {
    if (this.bestSnapshot) tf.dispose([...this.bestSnapshot.encoder.values(), ...this.bestSnapshot.users.values()]);
    this.bestSnapshot = undefined;
  }
}

/**
 * The items a warm user's served vector and lexical profile are built from: their first `servingHistory` training
 * positives, in data order, as tokens.
 */
export function servingHistories(
  data: Pick<ColdStartTrainingData, 'positives' | 'itemTokens'>,
  config: Pick<ColdStartConfig, 'servingHistory'>,
): (userId: number) => ItemTokens[] {
  const of = positivesByUser(data.positives, config.servingHistory);
  return (u) => (of.get(u) ?? []).map((id) => data.itemTokens.get(id) ?? { modalities: {} });
}

/**
 * Lexical profiles of a batch's users under the current token weights: the mean v_h over their positives in
 * `positivesOf` (as served), leaving out the items the batch asks them to rank.
 */
export async function lexicalBatchProfiles(
  lexical: LexicalChannel,
  batch: PreparedBatch,
  positivesOf: ReadonlyMap<number, readonly number[]>,
  tokensOf: (itemId: number) => ItemTokens | undefined,
): Promise<(SparseVector | undefined)[]> {
  const vectorOf = await lexical.vectorizer();
  const cache = new Map<number, SparseVector>();
  const vector = (id: number) => {
    let v = cache.get(id);
    if (!v) cache.set(id, (v = vectorOf(tokensOf(id) ?? { modalities: {} })));
    return v;
  };
  const ranked = batch.userIds.map(() => new Set<number>());
  batch.posUser.forEach((u, k) => ranked[u].add(batch.itemIds[batch.posItem[k]]));
  return batch.userIds.map((user, u) => {
    const history = (positivesOf.get(user) ?? []).filter((id) => !ranked[u].has(id));
    return history.length > 0 ? meanSparse(history.map(vector)) : undefined;
  });
}

/** Each user's training positives in data order, at most `cap` of them. */
function positivesByUser(positives: readonly Interaction[], cap = Infinity): Map<number, number[]> {
  const of = new Map<number, number[]>();
  for (const x of positives) {
    let l = of.get(x.userId);
    if (!l) of.set(x.userId, (l = []));
    if (l.length < cap) l.push(x.itemId);
  }
  return of;
}

/** Each user's training positives (in data order), sampled `size` per step by the batch builder. */
function historySampling(positives: readonly Interaction[], size: number): HistorySampling {
  return { of: positivesByUser(positives), size };
}
