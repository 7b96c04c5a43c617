import * as tf from '@tensorflow/tfjs';
import { CorruptDataError, InvalidInputError } from '@tessera/common';
import type { ParamStore } from '@tessera/tensor';
import type { SparseVector } from '../baselines';
import type { IdsModalitySpec, ItemTokens, ModalitySpec } from '../encoder';
import type { UserHistories } from './cold-start-model';

export type LexicalTokenWeights = 'idf' | 'learned';

/** An item's distinct keys (modality offset + token id, ascending) with their term-frequency factors 1 + log tf. */
interface Terms {
  keys: Int32Array;
  tf: Float32Array;
}

/**
 * A learned sparse (lexical) score beside the dense dot product: s(u, i) = <z_u, z_i> + γ·<p_u, v_i>.
 * v_i holds one weight per distinct id token of the item, (1 + log tf)·w_t, L2-normalised; p_u is the mean
 * of v_h over the user's history items. Token weights w_t = exp(α·a_t) start at the corpus idf (a_t = log idf_t,
 * α = 1); α and γ are learned from the ranking loss, and so are the a_t unless `tokenWeights` is `idf`. It exists because a d-wide dot product cannot
 * carry exact matches on thousands of rare tokens (CiteULike-a's user tags): squeezed to rank 64 a TF-IDF
 * profile loses a third of its recall, and the sparse channel keeps that signal out of the squeeze.
 */
export class LexicalChannel {
  /** a_t for every key: [size]. */
  readonly logWeights: tf.Variable;
  /** α, the learned sharpening of the log weights (a scalar). */
  readonly sharpness: tf.Variable;
  /** log γ, the weight of the sparse score beside the dense one. */
  readonly logScale: tf.Variable;
  /**
   * 1 for a key kept, 0 for a key in fewer than `minDf` items (it cannot link two items, it only dilutes norms).
   * Only with minDf > 1, so a model saved before the mask existed loads as it was trained.
   */
  readonly keep?: tf.Variable;
  readonly size: number;
  private readonly offsets = new Map<string, { offset: number; spec: IdsModalitySpec }>();

  constructor(
    store: ParamStore,
    modalities: readonly ModalitySpec[],
    /** `idf`: a_t stay at log idf (only α and γ learn); `learned`: every a_t learns too. */
    readonly tokenWeights: LexicalTokenWeights = 'learned',
    /** Keys seen in fewer items than this at `initFromItems` get weight 0 (1 keeps every key). */
    readonly minDf = 1,
    prefix = 'lex',
  ) {
    let size = 0;
    for (const m of modalities) {
      if (m.kind !== 'ids') continue;
      this.offsets.set(m.name, { offset: size, spec: m });
      size += m.lexicalVocabSize ?? m.vocabSize;
    }
    if (size === 0) throw new InvalidInputError('the lexical channel needs at least one id modality');
    this.size = size;
    this.logWeights = store.add(`${prefix}.logw`, tf.zeros([size]), tokenWeights === 'learned');
    this.sharpness = store.add(`${prefix}.alpha`, tf.scalar(1));
    this.logScale = store.add(`${prefix}.logscale`, tf.scalar(Math.log(8)));
    if (minDf > 1) this.keep = store.add(`${prefix}.keep`, tf.ones([size]), false);
  }

  /**
   * Sets a_t = log idf_t from the items' document frequencies, idf = log((n + 1) / (df + 1)) + 1, as the
   * TF-IDF profile weighs its terms, and drops keys seen in fewer than `minDf` items (content only; no
   * interaction is read).
   */
  initFromItems(items: Iterable<ItemTokens>): void {
    const df = new Float32Array(this.size);
    let n = 0;
    for (const it of items) {
      n++;
      for (const k of this.terms(it).keys) df[k]++;
    }
    const a = df.map((d) => Math.log(Math.log((n + 1) / (d + 1)) + 1));
    tf.tidy(() => {
      this.logWeights.assign(tf.tensor1d(a));
      this.keep?.assign(tf.tensor1d(df.map((d) => (d >= this.minDf ? 1 : 0))));
    });
  }

  /**
   * Lexical scores [users, items] of a training batch (call inside tf.tidy; differentiable in a, α and γ).
   * Computed over the pairs of a history entry and a ranked item's entry that share a key, so the cost follows
   * the matches, not the vocabulary.
   */
  batchScores(ranked: readonly ItemTokens[], h: UserHistories): tf.Tensor2D {
    const nI = ranked.length;
    const nH = h.items.length;
    const histTerms = h.items.map((it) => this.terms(it));
    // Entries of both sides in one list: ranked items are segments 0..nI-1, history items nI..nI+nH-1.
    const { keys, tfs, owner, postings } = this.rankedEntries(ranked);
    const histStart: number[] = [];
    histTerms.forEach((t, hi) => {
      histStart.push(keys.length);
      t.keys.forEach((k, j) => {
        keys.push(k);
        tfs.push(t.tf[j]);
        owner.push(nI + hi);
      });
    });
    const counts = new Float32Array(h.users);
    for (const u of h.pairUser) counts[u]++;
    const histEntry: number[] = [];
    const rankEntry: number[] = [];
    const segment: number[] = [];
    const scale: number[] = [];
    h.pairUser.forEach((u, p) => {
      const hi = h.pairItem[p];
      const t = histTerms[hi];
      for (let j = 0; j < t.keys.length; j++) {
        const list = postings.get(t.keys[j]);
        if (!list) continue;
        for (const r of list) {
          histEntry.push(histStart[hi] + j);
          rankEntry.push(r);
          segment.push(u * nI + owner[r]);
          scale.push(1 / counts[u]);
        }
      }
    });
    if (segment.length === 0) return tf.zeros([h.users, nI]);
    const v = this.normalisedValues(Int32Array.from(keys), Float32Array.from(tfs), Int32Array.from(owner), nI + nH);
    const contrib = tf.mul(
      tf.mul(tf.gather(v, tf.tensor1d(histEntry, 'int32')), tf.gather(v, tf.tensor1d(rankEntry, 'int32'))),
      tf.tensor1d(scale),
    );
    const summed = tf.unsortedSegmentSum(contrib, tf.tensor1d(segment, 'int32'), h.users * nI);
    return tf.mul(tf.exp(this.logScale), tf.reshape(summed, [h.users, nI])) as tf.Tensor2D;
  }

  /**
   * Lexical scores [users, items] of a training batch against fixed profiles (call inside tf.tidy): γ·<p_u, v_i>
   * with p_u a constant of the step and v_i differentiable in a, α and γ. Used when training profiles are built
   * like served ones, from a user's whole history: too many items to keep in the graph, so their side carries no
   * gradient. Computed over the (profile key, ranked entry) pairs that share a key.
   */
  profileScores(ranked: readonly ItemTokens[], profiles: readonly (SparseVector | undefined)[]): tf.Tensor2D {
    const nI = ranked.length;
    const { keys, tfs, owner, postings } = this.rankedEntries(ranked);
    const entry: number[] = [];
    const coef: number[] = [];
    const segment: number[] = [];
    profiles.forEach((p, u) => {
      p?.indices.forEach((k, j) => {
        const list = postings.get(k);
        if (!list) return;
        for (const r of list) {
          entry.push(r);
          coef.push(p.values[j]);
          segment.push(u * nI + owner[r]);
        }
      });
    });
    if (segment.length === 0) return tf.zeros([profiles.length, nI]);
    const v = this.normalisedValues(Int32Array.from(keys), Float32Array.from(tfs), Int32Array.from(owner), nI);
    const contrib = tf.mul(tf.gather(v, tf.tensor1d(entry, 'int32')), tf.tensor1d(coef));
    const summed = tf.unsortedSegmentSum(contrib, tf.tensor1d(segment, 'int32'), profiles.length * nI);
    return tf.mul(tf.exp(this.logScale), tf.reshape(summed, [profiles.length, nI])) as tf.Tensor2D;
  }

  /** The ranked items' entries (key, tf factor, item) in one list, and each key's entries (its postings). */
  private rankedEntries(ranked: readonly ItemTokens[]) {
    const keys: number[] = [];
    const tfs: number[] = [];
    const owner: number[] = [];
    const postings = new Map<number, number[]>();
    ranked.forEach((it, i) => {
      const t = this.terms(it);
      t.keys.forEach((k, j) => {
        let list = postings.get(k);
        if (!list) postings.set(k, (list = []));
        list.push(keys.length);
        keys.push(k);
        tfs.push(t.tf[j]);
        owner.push(i);
      });
    });
    return { keys, tfs, owner, postings };
  }

  /** The items' sparse vectors v_i as plain arrays (keys ascending); an item without id tokens gets an empty one. */
  async itemVectors(items: readonly ItemTokens[]): Promise<SparseVector[]> {
    return items.map(await this.vectorizer());
  }

  /** A function from an item to its v_i under the current weights (read once, so it suits many items). */
  async vectorizer(): Promise<(item: ItemTokens) => SparseVector> {
    const w = await this.weights();
    return (item) => {
      const t = this.terms(item);
      // Keys of weight 0 (below minDf) are left out, so profiles and payloads carry no dead entries.
      const kept = t.keys.filter((k) => w[k] > 0);
      const values = new Float32Array(kept.length);
      let norm = 0;
      for (let j = 0, at = 0; j < t.keys.length; j++) {
        if (w[t.keys[j]] === 0) continue;
        values[at] = t.tf[j] * w[t.keys[j]];
        norm += values[at] * values[at];
        at++;
      }
      norm = Math.sqrt(norm);
      if (norm > 0) for (let j = 0; j < values.length; j++) values[j] /= norm;
      return { indices: kept, values };
    };
  }

  /** γ, read once per scoring call. */
  async scale(): Promise<number> {
    return (await this.logScale.data()).map(Math.exp)[0];
  }

  /** Token weights w_t = keep_t·exp(α·a_t) as a plain array. */
  private async weights(): Promise<Float32Array> {
    const w = tf.tidy(() => {
      const w = tf.exp(tf.mul(this.sharpness, this.logWeights));
      return this.keep ? tf.mul(this.keep, w) : w;
    });
    try {
      return Float32Array.from((await w.data()) as Float32Array);
    } finally {
      w.dispose();
    }
  }

  /** (1 + log tf)·w_t of every entry, L2-normalised within its segment (one segment per item). */
  private normalisedValues(keys: Int32Array, tfs: Float32Array, owner: Int32Array, segments: number): tf.Tensor1D {
    const at = tf.tensor1d(keys, 'int32');
    const w0 = tf.exp(tf.mul(this.sharpness, tf.gather(this.logWeights, at)));
    const w = this.keep ? tf.mul(tf.gather(this.keep, at), w0) : w0;
    const raw = tf.mul(w, tf.tensor1d(tfs));
    const seg = tf.tensor1d(owner, 'int32');
    const norms = tf.sqrt(tf.maximum(tf.unsortedSegmentSum(tf.square(raw), seg, segments), 1e-12));
    return tf.div(raw, tf.gather(norms, seg)) as tf.Tensor1D;
  }

  /** Distinct keys of an item's id tokens (each modality cut to its lexical length, padding id 0 skipped). */
  private terms(item: ItemTokens): Terms {
    const count = new Map<number, number>();
    for (const [name, mt] of Object.entries(item.modalities)) {
      const at = this.offsets.get(name);
      if (!at || mt.kind !== 'ids') continue;
      // A modality with its own lexical vocabulary reads only those ids: the transformer's live in another space.
      const ids = at.spec.lexicalVocabSize !== undefined ? (mt.lexicalTokens ?? []) : mt.tokens;
      const n = Math.min(ids.length, at.spec.lexicalMaxLength ?? at.spec.maxLength);
      for (let t = 0; t < n; t++) {
        if (ids[t] === 0) continue;
        const k = at.offset + ids[t];
        count.set(k, (count.get(k) ?? 0) + 1);
      }
    }
    const keys = Int32Array.from([...count.keys()].sort((a, b) => a - b));
    return { keys, tf: Float32Array.from(keys, (k) => 1 + Math.log(count.get(k)!)) };
  }
}

/** Mean of sparse vectors (a user's profile over their history items); keys ascending. */
export function meanSparse(vectors: readonly SparseVector[]): SparseVector {
  const acc = new Map<number, number>();
  for (const v of vectors) v.indices.forEach((k, j) => acc.set(k, (acc.get(k) ?? 0) + v.values[j] / vectors.length));
  const indices = Int32Array.from([...acc.keys()].sort((a, b) => a - b));
  return { indices, values: Float32Array.from(indices, (k) => acc.get(k)!) };
}

/**
 * Row-major profiles × items dot products through an inverted index over the items (a profile touches few
 * keys, so walking their postings beats a dense product). A missing profile scores 0 everywhere.
 */
export function sparseScores(
  profiles: readonly (SparseVector | undefined)[],
  items: readonly SparseVector[],
): Float32Array {
  const nI = items.length;
  const out = new Float32Array(profiles.length * nI);
  const postings = new Map<number, { item: number; value: number }[]>();
  items.forEach((v, i) =>
    v.indices.forEach((k, j) => {
      let list = postings.get(k);
      if (!list) postings.set(k, (list = []));
      list.push({ item: i, value: v.values[j] });
    }),
  );
  profiles.forEach((p, r) => {
    if (!p) return;
    p.indices.forEach((k, j) => {
      const list = postings.get(k);
      if (list) for (const e of list) out[r * nI + e.item] += p.values[j] * e.value;
    });
  });
  return out;
}

/**
 * Users' lexical profiles as one binary blob: u32 user count, u32 offsets[users + 1] (entry ranges; a missing
 * profile is an empty range flagged in a u8 presence row), then i32 keys and f32 values of every entry.
 */
export function encodeProfiles(profiles: readonly (SparseVector | undefined)[]): Buffer {
  const n = profiles.length;
  const total = profiles.reduce((a, p) => a + (p?.indices.length ?? 0), 0);
  const head = 4 + 4 * (n + 1);
  const presence = n;
  const pad = (4 - ((head + presence) % 4)) % 4;
  const buf = Buffer.alloc(head + presence + pad + 8 * total);
  buf.writeUInt32LE(n, 0);
  let at = 0;
  const keysStart = head + presence + pad;
  const valuesStart = keysStart + 4 * total;
  profiles.forEach((p, u) => {
    buf.writeUInt32LE(at, 4 + 4 * u);
    buf[head + u] = p ? 1 : 0;
    p?.indices.forEach((k, j) => {
      buf.writeInt32LE(k, keysStart + 4 * (at + j));
      buf.writeFloatLE(p.values[j], valuesStart + 4 * (at + j));
    });
    at += p?.indices.length ?? 0;
  });
  buf.writeUInt32LE(at, 4 + 4 * n);
  return buf;
}

/** Reads `encodeProfiles` output back; throws on a blob whose layout does not add up. */
export function decodeProfiles(buf: Buffer): (SparseVector | undefined)[] {
  const bad = (why: string) => new CorruptDataError(`lexical profiles are corrupt: ${why}`, { why });
  if (buf.length < 8) throw bad('too short');
  const n = buf.readUInt32LE(0);
  const head = 4 + 4 * (n + 1);
  if (buf.length < head + n) throw bad('truncated header');
  const total = buf.readUInt32LE(4 + 4 * n);
  const pad = (4 - ((head + n) % 4)) % 4;
  const keysStart = head + n + pad;
  if (buf.length !== keysStart + 8 * total) throw bad(`expected ${keysStart + 8 * total} bytes, got ${buf.length}`);
  const valuesStart = keysStart + 4 * total;
  const out: (SparseVector | undefined)[] = [];
  for (let u = 0; u < n; u++) {
    const from = buf.readUInt32LE(4 + 4 * u);
    const to = buf.readUInt32LE(8 + 4 * u);
    if (to < from || to > total) throw bad(`user ${u} has entries ${from}..${to} of ${total}`);
    if (!buf[head + u]) {
      out.push(undefined);
      continue;
    }
    const indices = new Int32Array(to - from);
    const values = new Float32Array(to - from);
    for (let j = 0; j < to - from; j++) {
      indices[j] = buf.readInt32LE(keysStart + 4 * (from + j));
      values[j] = buf.readFloatLE(valuesStart + 4 * (from + j));
    }
    out.push({ indices, values });
  }
  return out;
}
