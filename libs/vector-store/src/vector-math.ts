import type { TopK } from './top-k';
import type { Distance } from './vector-store.types';

/** Scale to unit length in place (zero vectors stay zero, as in Qdrant). */
export function normaliseInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

export function dotAt(data: Float32Array, offset: number, q: Float32Array): number {
  let s = 0;
  const d = q.length;
  for (let i = 0; i < d; i++) s += data[offset + i] * q[i];
  return s;
}

export function squaredL2At(data: Float32Array, offset: number, q: Float32Array): number {
  let s = 0;
  const d = q.length;
  for (let i = 0; i < d; i++) {
    const t = data[offset + i] - q[i];
    s += t * t;
  }
  return s;
}

/**
 * Higher-is-better similarity used inside the store: dot product for Cosine (vectors are stored
 * normalised) and Dot; minus the squared distance for Euclid (Qdrant's internal Euclid score).
 */
export function similarityAt(distance: Distance, data: Float32Array, offset: number, q: Float32Array): number {
  return distance === 'Euclid' ? -squaredL2At(data, offset, q) : dotAt(data, offset, q);
}

/** The score a caller sees: similarity for Cosine/Dot, the (positive) distance for Euclid. */
export function publicScore(distance: Distance, similarity: number): number {
  return distance === 'Euclid' ? Math.sqrt(Math.max(0, -similarity)) : similarity;
}

/** A caller's score threshold in the internal higher-is-better scale. */
export function internalThreshold(distance: Distance, threshold: number): number {
  return distance === 'Euclid' ? -(threshold * threshold) : threshold;
}

/** Qdrant's squashing of best_score similarities into (0, 1): 0.5 * (x / (1 + |x|) + 1). */
export function scaledFastSigmoid(x: number): number {
  return 0.5 * (x / (1 + Math.abs(x)) + 1);
}

/**
 * best_score as Qdrant defines it: a candidate closer to some positive than to any negative scores
 * the (squashed) best positive similarity; otherwise minus the (squashed) best negative similarity.
 */
export function bestScore(positiveSims: number[], negativeSims: number[]): number {
  let maxPos = -Infinity;
  let maxNeg = -Infinity;
  for (const s of positiveSims) if (s > maxPos) maxPos = s;
  for (const s of negativeSims) if (s > maxNeg) maxNeg = s;
  return maxPos > maxNeg ? scaledFastSigmoid(maxPos) : -scaledFastSigmoid(maxNeg);
}

/** sum_scores: similarities to positives added, to negatives subtracted. */
export function sumScores(positiveSims: number[], negativeSims: number[]): number {
  let s = 0;
  for (const x of positiveSims) s += x;
  for (const x of negativeSims) s -= x;
  return s;
}

/** average_vector: avg(pos) + (avg(pos) - avg(neg)), or avg(pos) without negatives. */
export function averageVectorTarget(positives: Float32Array[], negatives: Float32Array[]): Float32Array {
  const d = positives[0].length;
  const avg = (vs: Float32Array[]): Float32Array => {
    const out = new Float32Array(d);
    for (const v of vs) for (let i = 0; i < d; i++) out[i] += v[i];
    for (let i = 0; i < d; i++) out[i] /= vs.length;
    return out;
  };
  const pos = avg(positives);
  if (negatives.length === 0) return pos;
  const neg = avg(negatives);
  const out = new Float32Array(d);
  for (let i = 0; i < d; i++) out[i] = pos[i] + (pos[i] - neg[i]);
  return out;
}

/**
 * Scores one stored row into a top-k heap. For Euclid the sum is abandoned as soon as it exceeds
 * the k-th best distance so far (checked every 16 dimensions), which skips most of the work on a
 * long exact scan without changing the result.
 */
export function scoreInto(top: TopK, euclid: boolean, data: Float32Array, slot: number, q: Float32Array): void {
  const d = q.length;
  const off = slot * d;
  if (!euclid) {
    top.push(slot, dotAt(data, off, q));
    return;
  }
  const bound = -top.floor;
  let s = 0;
  for (let i = 0; i < d; i++) {
    const t = data[off + i] - q[i];
    s += t * t;
    if ((i & 15) === 15 && s > bound) return;
  }
  top.push(slot, -s);
}
