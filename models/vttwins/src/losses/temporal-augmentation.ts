import { DimensionMismatchError, InvalidInputError, type Rng } from '@tessera/common';

/*
 * Temporal data augmentation (TDA) of the official code (spec section 6), off by default: permutations p
 * of 0..n−1 with |p[k] − k| ≤ maxShift; per sequence X (n×d), the detached self-similarity S = −X Xᵀ,
 * the distance ‖S − S[p][:,p]‖_F per permutation, probabilities softmin(sharpness · distance).
 */

/** All permutations of 0..n−1 moving no element more than `maxShift` places (400 for n = 8, shift 2). */
export function enumerateLocalPermutations(n: number, maxShift = 2): number[][] {
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidInputError(`permutation length must be a positive integer, got ${n}`);
  const out: number[][] = [];
  const used = new Array<boolean>(n).fill(false);
  const current: number[] = [];
  const walk = (k: number): void => {
    if (k === n) {
      out.push(current.slice());
      return;
    }
    for (let v = Math.max(0, k - maxShift); v <= Math.min(n - 1, k + maxShift); v++) {
      if (used[v]) continue;
      used[v] = true;
      current.push(v);
      walk(k + 1);
      current.pop();
      used[v] = false;
    }
  };
  walk(0);
  return out;
}

/** softmin(sharpness · ‖S − S[p][:,p]‖_F) over the permutations, for one sequence x (n×d, row-major). */
export function temporalPermutationProbabilities(
  x: ArrayLike<number>,
  n: number,
  d: number,
  permutations: readonly number[][],
  sharpness = 50,
): Float64Array {
  if (x.length !== n * d) throw new DimensionMismatchError(`sequence has ${x.length} values, expected ${n}×${d}`);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < d; k++) acc += x[i * d + k] * x[j * d + k];
      s[i * n + j] = -acc;
    }
  }
  const logits = permutations.map((p) => {
    if (p.length !== n) throw new DimensionMismatchError(`permutation has length ${p.length}, expected ${n}`);
    let sq = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sq += (s[i * n + j] - s[p[i] * n + p[j]]) ** 2;
    return -sharpness * Math.sqrt(sq);
  });
  const top = Math.max(...logits);
  const probs = Float64Array.from(logits, (l) => Math.exp(l - top));
  const total = probs.reduce((a, b) => a + b, 0);
  return probs.map((p) => p / total);
}

/** Draws one permutation for the sequence x. */
export function sampleTemporalPermutation(
  x: ArrayLike<number>,
  n: number,
  d: number,
  rng: Rng,
  permutations: readonly number[][] = enumerateLocalPermutations(n),
  sharpness = 50,
): number[] {
  const probs = temporalPermutationProbabilities(x, n, d, permutations, sharpness);
  let u = rng.next();
  for (let k = 0; k < probs.length; k++) {
    u -= probs[k];
    if (u < 0) return permutations[k];
  }
  return permutations[permutations.length - 1];
}
