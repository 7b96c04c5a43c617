import { InvalidInputError } from '@tessera/common';
import type { SparseVector } from './tfidf-vectorizer';

export interface SparseRidgeResult {
  /** V × q weights, row-major. */
  weights: Float64Array;
  /** Column means of Y (the unregularised intercept). */
  intercept: Float64Array;
  iterations: number;
}

/**
 * Ridge regression from sparse rows (n × V) to dense targets (n × q):
 * minimise ‖X W − (Y − ȳ)‖² + λ‖W‖², solved per column by conjugate gradient
 * on (XᵀX + λI) W = Xᵀ(Y − ȳ). Each iteration costs 2·nnz·q, so the full
 * vocabulary is usable without forming XᵀX.
 */
export function sparseRidgeRegression(
  rows: readonly SparseVector[],
  Y: Float64Array,
  numFeatures: number,
  q: number,
  lambda: number,
  options: { maxIterations?: number; tolerance?: number } = {},
): SparseRidgeResult {
  const n = rows.length;
  if (Y.length !== n * q) throw new InvalidInputError(`Y has ${Y.length} entries, expected ${n}×${q}`);
  if (!(lambda > 0)) throw new InvalidInputError(`ridge lambda must be > 0, got ${lambda}`);
  const maxIt = options.maxIterations ?? 200;
  const tol = options.tolerance ?? 1e-6;
  const V = numFeatures;
  const intercept = new Float64Array(q);
  for (let r = 0; r < n; r++) for (let c = 0; c < q; c++) intercept[c] += Y[r * q + c] / Math.max(n, 1);
  const Yc = new Float64Array(n * q);
  for (let r = 0; r < n; r++) for (let c = 0; c < q; c++) Yc[r * q + c] = Y[r * q + c] - intercept[c];

  // X^T z (z: n × q) → V × q
  const xt = (z: Float64Array, out: Float64Array) => {
    out.fill(0);
    for (let r = 0; r < n; r++) {
      const { indices, values } = rows[r];
      const zo = r * q;
      for (let k = 0; k < indices.length; k++) {
        const o = indices[k] * q;
        const v = values[k];
        for (let c = 0; c < q; c++) out[o + c] += v * z[zo + c];
      }
    }
  };
  // X p (p: V × q) → n × q
  const x = (p: Float64Array, out: Float64Array) => {
    out.fill(0);
    for (let r = 0; r < n; r++) {
      const { indices, values } = rows[r];
      const zo = r * q;
      for (let k = 0; k < indices.length; k++) {
        const o = indices[k] * q;
        const v = values[k];
        for (let c = 0; c < q; c++) out[zo + c] += v * p[o + c];
      }
    }
  };
  const W = new Float64Array(V * q);
  const res = new Float64Array(V * q);
  xt(Yc, res);
  const p = Float64Array.from(res);
  const Ap = new Float64Array(V * q);
  const tmp = new Float64Array(n * q);
  const colDot = (a: Float64Array, b: Float64Array) => {
    const s = new Float64Array(q);
    for (let i = 0; i < V; i++) for (let c = 0; c < q; c++) s[c] += a[i * q + c] * b[i * q + c];
    return s;
  };
  let rs = colDot(res, res);
  const rs0 = Float64Array.from(rs);
  let it = 0;
  for (; it < maxIt; it++) {
    let active = false;
    for (let c = 0; c < q; c++) if (rs[c] > tol * tol * rs0[c] && rs[c] > 0) active = true;
    if (!active) break;
    x(p, tmp);
    xt(tmp, Ap);
    for (let i = 0; i < V * q; i++) Ap[i] += lambda * p[i];
    const pAp = colDot(p, Ap);
    const alpha = new Float64Array(q);
    for (let c = 0; c < q; c++) alpha[c] = pAp[c] > 0 && rs[c] > 0 ? rs[c] / pAp[c] : 0;
    for (let i = 0; i < V; i++) {
      for (let c = 0; c < q; c++) {
        W[i * q + c] += alpha[c] * p[i * q + c];
        res[i * q + c] -= alpha[c] * Ap[i * q + c];
      }
    }
    const rsNew = colDot(res, res);
    for (let i = 0; i < V; i++) {
      for (let c = 0; c < q; c++) {
        const beta = rs[c] > 0 ? rsNew[c] / rs[c] : 0;
        p[i * q + c] = res[i * q + c] + beta * p[i * q + c];
      }
    }
    rs = rsNew;
  }
  return { weights: W, intercept, iterations: it };
}
