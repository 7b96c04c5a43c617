import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import {
  Dense,
  type ForwardOptions,
  LayerNorm,
  normalInit,
  paddingBias,
  ParamStore,
  TransformerEncoderBlock,
} from '@tessera/tensor';
import type { ModalityView } from '../losses';
import {
  type ModalitySpec,
  type ItemEncoderConfig,
  type ResolvedEncoderConfig,
  resolveEncoderConfig,
} from './item-encoder.config';
import type { ItemTokens } from './item-tokens.types';

/** What one forward pass returns; the caller owns the tensors (call inside tf.tidy). */
export interface EncodeOutput {
  /** Item embeddings z_i = f(x_i): [I, d]. */
  z: tf.Tensor2D;
  /** Per-modality CLS vectors h_m (rows of absent items are zero) for the alignment loss; empty for `early`. */
  views: ModalityView[];
}

/** One modality's tokens for a batch, laid out on the JS side. */
interface PreparedModality {
  spec: ModalitySpec;
  /** Batch rows (item positions) these n sequences belong to. */
  rows: number[];
  length: number;
  ids?: Int32Array;
  dense?: Float32Array;
  /** [n, length + 1]: 1 for CLS and real tokens, 0 for padding. */
  mask: Float32Array;
}

/**
 * The transformer cold-start item encoder (spec §3.1): per-modality token sequences → learned
 * token + positional + modality-type embeddings → a per-modality pre-norm transformer with its own
 * CLS → fusion (`mean`, `token` or `early`). A missing modality is simply absent (masked), so text-only,
 * image-only and video items all encode. Never trained on category labels: supervision is the
 * ranking loss only.
 */
export class ColdStartItemEncoder {
  readonly config: ResolvedEncoderConfig;
  private readonly tokenTables = new Map<string, tf.Variable>();
  private readonly projections = new Map<string, Dense>();
  private readonly positions = new Map<string, tf.Variable>();
  private readonly types = new Map<string, tf.Variable>();
  private readonly cls = new Map<string, tf.Variable>();
  private readonly blocks = new Map<string, TransformerEncoderBlock[]>();
  private readonly norms = new Map<string, LayerNorm>();

  constructor(
    config: ItemEncoderConfig,
    readonly store: ParamStore = new ParamStore(),
    prefix = 'enc',
  ) {
    this.config = resolveEncoderConfig(config);
    const { dModel: d, numHeads, dropout, layers, fusion, fusionLayers } = this.config;
    const rng = new Rng(this.config.seed);
    const blockCfg = { dModel: d, numHeads, dropout };
    const stack = (name: string, n: number) =>
      Array.from(
        { length: n },
        (_, l) => new TransformerEncoderBlock(store, `${prefix}.${name}.block${l}`, blockCfg, rng),
      );
    for (const m of this.config.modalities) {
      const p = `${prefix}.${m.name}`;
      if (m.kind === 'ids') this.tokenTables.set(m.name, store.add(`${p}.tok`, normalInit([m.vocabSize, d], rng)));
      else this.projections.set(m.name, new Dense(store, `${p}.proj`, m.inputDim, d, rng));
      this.positions.set(m.name, store.add(`${p}.pos`, normalInit([m.maxLength + 1, d], rng)));
      this.types.set(m.name, store.add(`${p}.type`, normalInit([1, d], rng)));
      if (fusion !== 'early') {
        this.cls.set(m.name, store.add(`${p}.cls`, normalInit([1, d], rng)));
        this.blocks.set(m.name, stack(m.name, layers));
        this.norms.set(m.name, new LayerNorm(store, `${p}.ln`, d));
      }
    }
    if (fusion === 'early') {
      this.cls.set('early', store.add(`${prefix}.early.cls`, normalInit([1, d], rng)));
      this.blocks.set('early', stack('early', layers));
      this.norms.set('early', new LayerNorm(store, `${prefix}.early.ln`, d));
    } else {
      if (fusion === 'token') {
        this.cls.set('fuse', store.add(`${prefix}.fuse.cls`, normalInit([1, d], rng)));
        this.blocks.set('fuse', stack('fuse', fusionLayers));
      }
      this.norms.set('fuse', new LayerNorm(store, `${prefix}.fuse.ln`, d));
    }
    if (this.config.pooling === 'cls+bag') this.norms.set('bag', new LayerNorm(store, `${prefix}.bag.ln`, d));
  }

  get dim(): number {
    return this.config.dModel;
  }

  /**
   * Forward pass over a batch of items; call inside tf.tidy. Throws InvalidInputError /
   * DimensionMismatchError naming the first bad item (see `checkItem`).
   */
  encode(items: readonly ItemTokens[], opts: ForwardOptions = {}): EncodeOutput {
    if (items.length === 0) throw new InvalidInputError('cannot encode an empty batch of items');
    items.forEach((it, i) => {
      const problem = this.checkItem(it);
      if (problem)
        throw problem instanceof Error ? problem : new InvalidInputError(`item ${i}: ${problem}`, { index: i });
    });
    return this.config.fusion === 'early' ? this.encodeEarly(items, opts) : this.encodeLate(items, opts);
  }

  /**
   * Serving path: embeddings as plain arrays, `batchSize` items per forward pass, no tensors left
   * behind. Bad items throw before any work; see `encodeItemsReport` to go on past them. Reads are
   * `await data()`, so it serves on any backend (WebGPU has no synchronous download).
   */
  async encodeItems(items: readonly ItemTokens[], batchSize = 256): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let s = 0; s < items.length; s += batchSize) {
      const chunk = items.slice(s, s + batchSize);
      const z = tf.tidy(() => this.encode(chunk).z);
      let values: Float32Array;
      try {
        values = (await z.data()) as Float32Array;
      } finally {
        z.dispose();
      }
      const d = this.dim;
      for (let i = 0; i < chunk.length; i++) out.push(Float32Array.from(values.subarray(i * d, (i + 1) * d)));
    }
    return out;
  }

  /** Like encodeItems, but a bad item gets `null` and an error entry while the rest still encode. */
  async encodeItemsReport(
    items: readonly ItemTokens[],
    batchSize = 256,
  ): Promise<{ embeddings: (Float32Array | null)[]; errors: { index: number; message: string }[] }> {
    const errors: { index: number; message: string }[] = [];
    const good: number[] = [];
    items.forEach((it, i) => {
      const p = this.checkItem(it);
      if (p) errors.push({ index: i, message: p instanceof Error ? p.message : p });
      else good.push(i);
    });
    const embeddings: (Float32Array | null)[] = items.map(() => null);
    const encoded =
      good.length > 0
        ? await this.encodeItems(
            good.map((i) => items[i]),
            batchSize,
          )
        : [];
    good.forEach((i, k) => (embeddings[i] = encoded[k]));
    return { embeddings, errors };
  }

  /**
   * Masked mean of each item's raw token embeddings over all its modalities, [n, dModel] (zero rows for items
   * without tokens): a cheap content summary without the transformer, used by the history user tower.
   * Call inside tf.tidy; items must pass `checkItem`.
   */
  tokenMean(items: readonly ItemTokens[]): tf.Tensor2D {
    const n = items.length;
    const acc: { sum?: tf.Tensor2D; count: Float32Array } = { count: new Float32Array(n) };
    for (const spec of this.config.modalities) {
      const p = this.prepare(items, spec, false);
      if (p) this.addToBag(acc, p, this.rawTokens(p));
    }
    if (!acc.sum) return tf.zeros([n, this.dim]);
    return tf.div(acc.sum, tf.reshape(tf.maximum(tf.tensor1d(acc.count), 1), [n, 1])) as tf.Tensor2D;
  }

  /** Why an item cannot be encoded, or null. Unknown modality names are an error (likely a config mismatch). */
  checkItem(item: ItemTokens): string | Error | null {
    if (!item || typeof item.modalities !== 'object' || item.modalities === null)
      return 'item has no modalities object';
    for (const [name, mt] of Object.entries(item.modalities)) {
      const spec = this.config.modalities.find((m) => m.name === name);
      if (!spec)
        return `unknown modality '${name}' (configured: ${this.config.modalities.map((m) => m.name).join(', ')})`;
      if (mt.kind !== spec.kind) return `modality '${name}' must be '${spec.kind}', got '${mt.kind}'`;
      if (spec.kind === 'ids') {
        const ids = mt.tokens as ArrayLike<number>;
        for (let t = 0; t < ids.length; t++) {
          const v = ids[t];
          if (!Number.isInteger(v) || v < 0 || v >= spec.vocabSize)
            return `modality '${name}' token ${t} = ${v} is outside [0, ${spec.vocabSize})`;
        }
      } else {
        for (const [t, tok] of (mt.tokens as Float32Array[]).entries()) {
          if (!tok || tok.length !== spec.inputDim) {
            return new DimensionMismatchError(
              `modality '${name}' token ${t} has ${tok?.length} values, expected ${spec.inputDim}`,
              {
                modality: name,
                expected: spec.inputDim,
              },
            );
          }
          for (let k = 0; k < tok.length; k++)
            if (!Number.isFinite(tok[k])) return `modality '${name}' token ${t} holds a non-finite value`;
        }
      }
    }
    return null;
  }

  dispose(): void {
    this.store.dispose();
  }

  private tokenCount(item: ItemTokens, spec: ModalitySpec): number {
    const mt = item.modalities[spec.name];
    return mt ? Math.min(mt.tokens.length, spec.maxLength) : 0;
  }

  /** Lays out one modality; `allRows` keeps every item (early fusion), otherwise only items holding it. */
  private prepare(items: readonly ItemTokens[], spec: ModalitySpec, allRows: boolean): PreparedModality | null {
    const rows: number[] = [];
    let length = 0;
    items.forEach((it, i) => {
      const n = this.tokenCount(it, spec);
      if (n > 0 || allRows) rows.push(i);
      length = Math.max(length, n);
    });
    if (length === 0) return null;
    const n = rows.length;
    const mask = new Float32Array(n * (length + 1));
    const ids = spec.kind === 'ids' ? new Int32Array(n * length) : undefined;
    const dense = spec.kind === 'dense' ? new Float32Array(n * length * spec.inputDim) : undefined;
    rows.forEach((row, r) => {
      mask[r * (length + 1)] = 1;
      const mt = items[row].modalities[spec.name];
      const count = this.tokenCount(items[row], spec);
      for (let t = 0; t < count; t++) {
        if (ids) {
          const v = (mt!.tokens as ArrayLike<number>)[t];
          ids[r * length + t] = v;
          // Id 0 is padding wherever it appears.
          mask[r * (length + 1) + 1 + t] = v === 0 ? 0 : 1;
        } else {
          const inputDim = (spec as { inputDim: number }).inputDim;
          dense!.set((mt!.tokens as Float32Array[])[t], (r * length + t) * inputDim);
          mask[r * (length + 1) + 1 + t] = 1;
        }
      }
    });
    return { spec, rows, length, ids, dense, mask };
  }

  /** Raw token embeddings of one modality (table rows or projected dense tokens): [n, length, d]. */
  private rawTokens(p: PreparedModality): tf.Tensor3D {
    const d = this.dim;
    const n = p.rows.length;
    if (p.spec.kind === 'ids') {
      return tf.reshape(tf.gather(this.tokenTables.get(p.spec.name)!, tf.tensor1d(p.ids!, 'int32')), [n, p.length, d]);
    }
    return this.projections
      .get(p.spec.name)!
      .apply(tf.tensor3d(p.dense!, [n, p.length, p.spec.inputDim])) as tf.Tensor3D;
  }

  /** Token + position + modality-type embeddings of one modality: [n, length, d] (no CLS). */
  private embedTokens(p: PreparedModality, raw = this.rawTokens(p)): tf.Tensor3D {
    const pos = tf.slice(this.positions.get(p.spec.name)!, [1, 0], [p.length, this.dim]);
    return tf.add(tf.add(raw, pos), this.types.get(p.spec.name)!) as tf.Tensor3D;
  }

  /**
   * The bag-of-tokens residual of `cls+bag` pooling: per batch item, the masked sum of raw token
   * embeddings over its present modalities (as [nI, d] sums plus token counts), accumulated per modality.
   */
  private addToBag(bag: { sum?: tf.Tensor2D; count: Float32Array }, p: PreparedModality, raw: tf.Tensor3D): void {
    const n = p.rows.length;
    const nI = bag.count.length;
    // The token part of the mask, without the CLS column.
    const m = new Float32Array(n * p.length);
    for (let r = 0; r < n; r++) {
      for (let t = 0; t < p.length; t++) {
        const v = p.mask[r * (p.length + 1) + 1 + t];
        m[r * p.length + t] = v;
        bag.count[p.rows[r]] += v;
      }
    }
    const summed = tf.sum(tf.mul(raw, tf.tensor3d(m, [n, p.length, 1])), 1) as tf.Tensor2D;
    const placed = tf.matMul(this.scatterRows(p.rows, nI), summed) as tf.Tensor2D;
    bag.sum = bag.sum ? (tf.add(bag.sum, placed) as tf.Tensor2D) : placed;
  }

  /** z plus LN(mean token embedding) when pooling is `cls+bag`; items without tokens keep z. */
  private poolWithBag(z: tf.Tensor2D, bag: { sum?: tf.Tensor2D; count: Float32Array }): tf.Tensor2D {
    if (this.config.pooling !== 'cls+bag' || !bag.sum) return z;
    const nI = bag.count.length;
    const has = Float32Array.from(bag.count, (c) => (c > 0 ? 1 : 0));
    const mean = tf.div(bag.sum, tf.reshape(tf.maximum(tf.tensor1d(bag.count), 1), [nI, 1]));
    const normed = this.norms.get('bag')!.apply(mean) as tf.Tensor2D;
    return tf.add(z, tf.mul(normed, tf.reshape(tf.tensor1d(has), [nI, 1]))) as tf.Tensor2D;
  }

  /** [n, 1, d]: a learned CLS vector repeated, plus extras (position 0, modality type). */
  private clsRows(key: string, n: number, extra: tf.Tensor[] = []): tf.Tensor3D {
    let c: tf.Tensor = this.cls.get(key)!;
    for (const e of extra) c = tf.add(c, e);
    return tf.tile(tf.reshape(c, [1, 1, this.dim]), [n, 1, 1]) as tf.Tensor3D;
  }

  private runStack(
    key: string,
    x: tf.Tensor3D,
    mask: tf.Tensor2D,
    opts: ForwardOptions,
    seedSalt: number,
  ): tf.Tensor3D {
    const bias = paddingBias(mask);
    let h = x;
    for (const block of this.blocks.get(key)!) {
      h = block.apply(h, { ...opts, seed: opts.seed === undefined ? undefined : opts.seed + seedSalt, bias });
    }
    return h;
  }

  /** [rows, d] scatter matrix: puts n per-modality rows back at their batch positions as a matmul. */
  private scatterRows(rows: number[], total: number): tf.Tensor2D {
    const v = new Float32Array(total * rows.length);
    rows.forEach((row, r) => (v[row * rows.length + r] = 1));
    return tf.tensor2d(v, [total, rows.length]);
  }

  private encodeLate(items: readonly ItemTokens[], opts: ForwardOptions): EncodeOutput {
    const d = this.dim;
    const nI = items.length;
    const views: ModalityView[] = [];
    const hs: { h: tf.Tensor2D; present: Uint8Array; name: string }[] = [];
    const bag: { sum?: tf.Tensor2D; count: Float32Array } = { count: new Float32Array(nI) };
    this.config.modalities.forEach((spec, mi) => {
      const p = this.prepare(items, spec, false);
      const present = new Uint8Array(nI);
      if (!p) {
        views.push({ h: tf.zeros([nI, d]) as tf.Tensor2D, present });
        return;
      }
      for (const r of p.rows) present[r] = 1;
      const n = p.rows.length;
      const pos0 = tf.slice(this.positions.get(spec.name)!, [0, 0], [1, d]);
      const raw = this.rawTokens(p);
      if (this.config.pooling === 'cls+bag') this.addToBag(bag, p, raw);
      const x = tf.concat(
        [this.clsRows(spec.name, n, [pos0, this.types.get(spec.name)!]), this.embedTokens(p, raw)],
        1,
      ) as tf.Tensor3D;
      const out = this.runStack(spec.name, x, tf.tensor2d(p.mask, [n, p.length + 1]), opts, 101 * (mi + 1));
      const cls = this.norms
        .get(spec.name)!
        .apply(tf.reshape(tf.slice(out, [0, 0, 0], [n, 1, d]), [n, d])) as tf.Tensor2D;
      const h = tf.matMul(this.scatterRows(p.rows, nI), cls) as tf.Tensor2D;
      views.push({ h, present });
      hs.push({ h, present, name: spec.name });
    });
    const fuseNorm = this.norms.get('fuse')!;
    if (this.config.fusion === 'mean') {
      const count = new Float32Array(nI);
      for (const v of hs) v.present.forEach((x, i) => (count[i] += x));
      const sum = hs.length > 0 ? tf.addN(hs.map((v) => v.h)) : tf.zeros([nI, d]);
      const mean = tf.div(sum, tf.reshape(tf.maximum(tf.tensor1d(count), 1), [nI, 1]));
      return { z: this.poolWithBag(fuseNorm.apply(mean) as tf.Tensor2D, bag), views };
    }
    // Token fusion over [CLS_fuse, h_m + type_m, …]; absent modalities are masked keys.
    const M = this.config.modalities.length;
    const seq = [this.clsRows('fuse', nI)];
    const mask = new Float32Array(nI * (M + 1));
    this.config.modalities.forEach((spec, mi) => {
      seq.push(tf.reshape(tf.add(views[mi].h, this.types.get(spec.name)!), [nI, 1, d]) as tf.Tensor3D);
      views[mi].present.forEach((x, i) => (mask[i * (M + 1) + 1 + mi] = x));
    });
    for (let i = 0; i < nI; i++) mask[i * (M + 1)] = 1;
    const out = this.runStack('fuse', tf.concat(seq, 1) as tf.Tensor3D, tf.tensor2d(mask, [nI, M + 1]), opts, 7);
    const z = fuseNorm.apply(tf.reshape(tf.slice(out, [0, 0, 0], [nI, 1, d]), [nI, d])) as tf.Tensor2D;
    return { z: this.poolWithBag(z, bag), views };
  }

  private encodeEarly(items: readonly ItemTokens[], opts: ForwardOptions): EncodeOutput {
    const d = this.dim;
    const nI = items.length;
    const parts: tf.Tensor3D[] = [this.clsRows('early', nI)];
    const masks: Float32Array[] = [];
    const bag: { sum?: tf.Tensor2D; count: Float32Array } = { count: new Float32Array(nI) };
    for (const spec of this.config.modalities) {
      const p = this.prepare(items, spec, true);
      if (!p) continue;
      const raw = this.rawTokens(p);
      if (this.config.pooling === 'cls+bag') this.addToBag(bag, p, raw);
      parts.push(this.embedTokens(p, raw));
      // Drop the per-modality CLS column of the mask: early fusion has one CLS for everything.
      const m = new Float32Array(nI * p.length);
      for (let i = 0; i < nI; i++)
        m.set(p.mask.subarray(i * (p.length + 1) + 1, (i + 1) * (p.length + 1)), i * p.length);
      masks.push(m);
    }
    const total = 1 + masks.reduce((a, m) => a + m.length / nI, 0);
    const mask = new Float32Array(nI * total);
    for (let i = 0; i < nI; i++) {
      mask[i * total] = 1;
      let off = 1;
      for (const m of masks) {
        const len = m.length / nI;
        mask.set(m.subarray(i * len, (i + 1) * len), i * total + off);
        off += len;
      }
    }
    const out = this.runStack('early', tf.concat(parts, 1) as tf.Tensor3D, tf.tensor2d(mask, [nI, total]), opts, 3);
    const z = this.norms.get('early')!.apply(tf.reshape(tf.slice(out, [0, 0, 0], [nI, 1, d]), [nI, d])) as tf.Tensor2D;
    return { z: this.poolWithBag(z, bag), views: [] };
  }
}
