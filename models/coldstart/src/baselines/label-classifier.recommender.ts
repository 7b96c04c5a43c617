import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { Dense, ParamStore } from '@tessera/tensor';
import type { ItemContent, ItemContentMap } from '../data';
import {
  ColdStartItemEncoder,
  type ItemEncoderConfig,
  ItemContentTokenizer,
  type ItemTokens,
  type ModalityGroup,
} from '../encoder';
import type { ColdStartRecommender, TrainingSet } from './cold-start-recommender';

/** Configuration of the label-classifier baseline (spec §7 baseline 5). */
export interface LabelClassifierConfig {
  /** Content field holding " | "-separated labels (MovieLens `genres`, CiteULike `tags`). */
  labelField: string;
  /** Keep the most frequent labels among the training items (multi-label targets). */
  maxLabels: number;
  /** Encoder inputs; leave the label field out of them unless the labels are meant to be inputs too. */
  modalities: ModalityGroup[];
  /** Encoder architecture (the Tessera encoder's own sizes, so only the supervision differs). */
  encoder: Omit<ItemEncoderConfig, 'modalities' | 'seed'>;
  epochs: number;
  itemsPerBatch: number;
  lr: number;
}

export const DEFAULT_LABEL_CLASSIFIER_CONFIG: Omit<LabelClassifierConfig, 'labelField' | 'modalities'> = {
  maxLabels: 256,
  encoder: { dModel: 64, numHeads: 4, layers: 1, fusionLayers: 1, fusion: 'token', dropout: 0.1 },
  epochs: 4,
  itemsPerBatch: 128,
  lr: 1e-3,
};

/** The multi-hot label targets of some items: row-major [items, labels]. */
export function labelTargets(
  itemIds: readonly number[],
  contents: ItemContentMap,
  field: string,
  vocabulary: ReadonlyMap<string, number>,
): Float32Array {
  const y = new Float32Array(itemIds.length * vocabulary.size);
  itemIds.forEach((id, r) => {
    for (const label of labelsOf(contents.get(id), field)) {
      const k = vocabulary.get(label);
      if (k !== undefined) y[r * vocabulary.size + k] = 1;
    }
  });
  return y;
}

function labelsOf(content: ItemContent | undefined, field: string): string[] {
  const text = content?.fields[field];
  if (!text) return [];
  return [
    ...new Set(
      text
        .split('|')
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l.length > 0),
    ),
  ];
}

/** Mean sigmoid cross-entropy of logits against multi-hot targets (numerically stable form). */
export function multiLabelSigmoidLoss(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() =>
    tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))),
  ) as tf.Scalar;
}

/**
 * Spec §7 baseline 5: the same transformer item encoder, trained to predict category labels (genres,
 * tags) instead of the ranking loss, i.e. the supervision the paper argues against. Its item embedding
 * then recommends by content similarity: user profile = mean of the L2-normalised embeddings of their
 * training positives, score = <profile, normalised item embedding>. Only warm items' labels are used
 * for training; the embedding of a cold item comes from its content alone.
 */
export class LabelClassifierRecommender implements ColdStartRecommender {
  readonly name = 'label-classifier';
  private store?: ParamStore;
  private encoder?: ColdStartItemEncoder;
  private head?: Dense;
  private tokenizer?: ItemContentTokenizer;
  private contents?: ItemContentMap;
  private readonly embeddings = new Map<number, Float32Array>();
  private readonly tokenCache = new Map<number, ItemTokens>();
  private readonly profiles = new Map<number, Float32Array>();
  private readonly positivesOf = new Map<number, number[]>();
  /** Mean training loss per epoch (for logs and tests). */
  readonly history: number[] = [];

  constructor(
    private readonly config: LabelClassifierConfig,
    private readonly seed = 1,
  ) {
    if (config.maxLabels < 1) throw new InvalidInputError('label-classifier: maxLabels must be ≥ 1');
    if (config.epochs < 1) throw new InvalidInputError('label-classifier: epochs must be ≥ 1');
  }

  async fit(train: TrainingSet, contents: ItemContentMap): Promise<void> {
    this.dispose();
    this.contents = contents;
    const counts = new Map<string, number>();
    for (const id of train.warmItems)
      for (const l of labelsOf(contents.get(id), this.config.labelField)) counts.set(l, (counts.get(l) ?? 0) + 1);
    const kept = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, this.config.maxLabels)
      .map(([l]) => l);
    if (kept.length === 0)
      throw new InvalidInputError(`label-classifier: no training item has labels in field '${this.config.labelField}'`);
    const vocabulary = new Map(kept.map((l, k) => [l, k]));
    this.tokenizer = new ItemContentTokenizer(this.config.modalities);
    const labelled = train.warmItems.filter((id) =>
      labelsOf(contents.get(id), this.config.labelField).some((l) => vocabulary.has(l)),
    );
    const tokens = labelled.map((id) => this.tokensOf(id));
    const targets = labelTargets(labelled, contents, this.config.labelField, vocabulary);
    this.store = new ParamStore();
    this.encoder = new ColdStartItemEncoder(
      { ...this.config.encoder, modalities: this.tokenizer.modalitySpecs(), seed: this.seed },
      this.store,
      'cls',
    );
    this.head = new Dense(this.store, 'cls.head', this.encoder.dim, kept.length, new Rng(this.seed ^ 0x1abe1));
    const optimizer = tf.train.adam(this.config.lr);
    const rng = new Rng(this.seed * 31 + 7);
    const L = kept.length;
    try {
      for (let epoch = 0; epoch < this.config.epochs; epoch++) {
        const order = rng.shuffle(labelled.map((_, i) => i));
        let sum = 0;
        let steps = 0;
        for (let s = 0; s < order.length; s += this.config.itemsPerBatch) {
          const rows = order.slice(s, s + this.config.itemsPerBatch);
          const y = new Float32Array(rows.length * L);
          rows.forEach((r, k) => y.set(targets.subarray(r * L, (r + 1) * L), k * L));
          sum += await this.step(
            rows.map((r) => tokens[r]),
            y,
            optimizer,
            (this.seed * 65537 + epoch * 4099 + steps) >>> 0,
          );
          steps++;
        }
        this.history.push(steps > 0 ? sum / steps : Number.NaN);
      }
    } finally {
      optimizer.dispose();
    }
    this.profiles.clear();
    this.positivesOf.clear();
    for (const x of train.positives) {
      const list = this.positivesOf.get(x.userId) ?? [];
      list.push(x.itemId);
      this.positivesOf.set(x.userId, list);
    }
  }

  /** One Adam step of the classifier on a batch of items; returns the loss and leaves no tensors behind. */
  async step(
    items: readonly ItemTokens[],
    targets: Float32Array,
    optimizer: tf.Optimizer,
    seed: number,
  ): Promise<number> {
    const encoder = this.encoder;
    const head = this.head;
    if (!encoder || !head || !this.store) throw new InvalidInputError('label-classifier: fit() first');
    const vars = this.store.trainable();
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const { z } = encoder.encode(items, { training: true, seed });
        const logits = head.apply(z) as tf.Tensor2D;
        return multiLabelSigmoidLoss(logits, tf.tensor2d(targets, [items.length, head.outDim]));
      }, vars);
      optimizer.applyGradients(grads);
      return value;
    });
    // `await data()`: trains on any backend (WebGPU has no synchronous download).
    try {
      return (await loss.data())[0];
    } finally {
      loss.dispose();
    }
  }

  async scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Promise<Float32Array> {
    if (!this.encoder) throw new InvalidInputError('label-classifier: fit() before scoreUsers()');
    const d = this.encoder.dim;
    const nc = candidateItemIds.length;
    const out = new Float32Array(userIds.length * nc);
    await this.embedMissing([...candidateItemIds, ...userIds.flatMap((u) => this.positivesOf.get(u) ?? [])]);
    const cand = candidateItemIds.map((id) => this.embedding(id));
    userIds.forEach((u, r) => {
      const p = this.profile(u);
      if (!p) return;
      for (let c = 0; c < nc; c++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += p[k] * cand[c][k];
        out[r * nc + c] = s;
      }
    });
    return out;
  }

  dispose(): void {
    this.store?.dispose();
    this.store = undefined;
    this.encoder = undefined;
    this.head = undefined;
    this.embeddings.clear();
    this.tokenCache.clear();
    this.profiles.clear();
  }

  private tokensOf(id: number): ItemTokens {
    let t = this.tokenCache.get(id);
    if (!t) {
      const c = this.contents?.get(id);
      t = c && this.tokenizer ? this.tokenizer.tokenize(c) : { modalities: {} };
      this.tokenCache.set(id, t);
    }
    return t;
  }

  /** L2-normalised embedding of an item already passed to embedMissing; items without content get zeros. */
  private embedding(id: number): Float32Array {
    let e = this.embeddings.get(id);
    if (!e) this.embeddings.set(id, (e = new Float32Array(this.encoder!.dim)));
    return e;
  }

  private profile(userId: number): Float32Array | undefined {
    const cached = this.profiles.get(userId);
    if (cached) return cached;
    const items = this.positivesOf.get(userId);
    if (!items || items.length === 0) return undefined;
    const p = new Float32Array(this.encoder!.dim);
    for (const id of items) {
      const e = this.embedding(id);
      for (let k = 0; k < p.length; k++) p[k] += e[k] / items.length;
    }
    this.profiles.set(userId, p);
    return p;
  }

  /** Encodes the not-yet-cached items in batches (one forward pass per 256, not one per item). */
  private async embedMissing(ids: readonly number[]): Promise<void> {
    const missing = [...new Set(ids)].filter(
      (id) => !this.embeddings.has(id) && Object.keys(this.tokensOf(id).modalities).length > 0,
    );
    if (missing.length === 0) return;
    const z = await this.encoder!.encodeItems(missing.map((id) => this.tokensOf(id)));
    missing.forEach((id, i) => {
      const e = z[i];
      let n = 0;
      for (const v of e) n += v * v;
      n = Math.sqrt(n);
      if (n > 0) for (let k = 0; k < e.length; k++) e[k] /= n;
      this.embeddings.set(id, e);
    });
  }
}
