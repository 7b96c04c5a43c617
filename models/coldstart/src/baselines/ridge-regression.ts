import { DimensionMismatchError, InvalidInputError } from '@tessera/common';

/**
 * Ridge regression W = (XᵀX + λI)⁻¹ XᵀY in float64, via Cholesky. X is n×p,
 * Y is n×q (row-major); returns W as p×q. p should be modest (≤ ~1000).
 */
export function ridgeRegression(
  X: Float32Array | Float64Array,
  Y: Float32Array | Float64Array,
  n: number,
  p: number,
  q: number,
  lambda: number,
): Float64Array {
  if (X.length !== n * p) throw new DimensionMismatchError(`X has ${X.length} entries, expected ${n}×${p}`);
  if (Y.length !== n * q) throw new DimensionMismatchError(`Y has ${Y.length} entries, expected ${n}×${q}`);
  if (!(lambda > 0)) throw new InvalidInputError(`ridge lambda must be > 0, got ${lambda}`);
  const A = new Float64Array(p * p);
  const Bm = new Float64Array(p * q);
  for (let r = 0; r < n; r++) {
    const xo = r * p;
    const yo = r * q;
    for (let a = 0; a < p; a++) {
      const xa = X[xo + a];
      if (xa === 0) continue;
      const ao = a * p;
      for (let b = a; b < p; b++) A[ao + b] += xa * X[xo + b];
      const bo = a * q;
      for (let c = 0; c < q; c++) Bm[bo + c] += xa * Y[yo + c];
    }
  }
  for (let a = 0; a < p; a++) {
    A[a * p + a] += lambda;
    for (let b = 0; b < a; b++) A[a * p + b] = A[b * p + a];
  }
  const L = cholesky(A, p);
  // Solve L Lᵀ W = B column block by column block.
  const W = new Float64Array(p * q);
  for (let c = 0; c < q; c++) {
    const z = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = Bm[i * q + c];
      for (let k = 0; k < i; k++) s -= L[i * p + k] * z[k];
      z[i] = s / L[i * p + i];
    }
    for (let i = p - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < p; k++) s -= L[k * p + i] * W[k * q + c];
      W[i * q + c] = s / L[i * p + i];
    }
  }
  return W;
}

function cholesky(A: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (s <= 0) throw new InvalidInputError('ridge system is not positive definite');
        L[i * p + i] = Math.sqrt(s);
      } else L[i * p + j] = s / L[j * p + j];
    }
  }
  return L;
}
