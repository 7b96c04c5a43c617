import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { S2dtwOptions } from './s2dtw-options';

/*
 * Batched S2DTW in plain JS over typed arrays: B similarity matrices (B×n×m, row-major) in one call.
 * Arithmetic is float64 inside even when the input is float32. The forward pass keeps, per cell, the
 * soft-min weights of its three predecessors; those weights are exactly the exp((R[succ] − R[cell] −
 * P[succ])/γ) factors of the soft-DTW backward recursion (spec section 4), so the backward pass is a
 * reverse sweep of multiply-adds with no exponentials. Rows in order satisfy the DP dependencies, so
 * no anti-diagonal scheduling is needed on one thread.
 */

export interface S2dtwBatchState {
  readonly batch: number;
  readonly n: number;
  readonly m: number;
  readonly options: S2dtwOptions;
  /** Local smoothing weights per pair and cell: [left, up, diagonal], B×n×m×3. */
  readonly localWeights: Float64Array;
  /** Outer soft-min weights per pair and grid cell: [diagonal, up, left], B×N×M×3. */
  readonly gridWeights: Float64Array;
}

export interface S2dtwBatchResult {
  /** s = −softDTW per pair, length B. */
  similarity: Float64Array;
  state: S2dtwBatchState;
}

const LN3 = Math.log(3);

export function s2dtwGridSize(n: number, m: number, skip: boolean): { rows: number; cols: number } {
  return skip ? { rows: 2 * n + 1, cols: 2 * m + 1 } : { rows: n, cols: m };
}

export function s2dtwForwardBatch(
  z: ArrayLike<number>,
  batch: number,
  n: number,
  m: number,
  options: S2dtwOptions,
): S2dtwBatchResult {
  if (!(batch >= 0 && n >= 1 && m >= 1) || ![batch, n, m].every(Number.isInteger)) {
    throw new InvalidInputError(`S2DTW needs integer sizes with n, m ≥ 1; got B=${batch}, n=${n}, m=${m}`);
  }
  if (z.length !== batch * n * m) {
    throw new DimensionMismatchError(`S2DTW input has ${z.length} values, expected ${batch}×${n}×${m}`);
  }
  for (let k = 0; k < z.length; k++) {
    if (!Number.isFinite(z[k])) throw new InvalidInputError(`S2DTW input has a non-finite value at index ${k}`);
  }
  const { gamma, gammaLocal, delta, localSmoothing, skip } = options;
  const { rows, cols } = s2dtwGridSize(n, m, skip);
  const nm = n * m;
  const cells = rows * cols;
  const similarity = new Float64Array(batch);
  const localWeights = new Float64Array(localSmoothing ? batch * nm * 3 : 0);
  const gridWeights = new Float64Array(batch * cells * 3);
  const cost = new Float64Array(nm);
  // R with one border row/column: (rows+1)×(cols+1), R[0][0] = 0, other border cells +∞.
  const rw = cols + 1;
  const r = new Float64Array((rows + 1) * rw);
  const invGl = 1 / gammaLocal;
  const invG = 1 / gamma;

  for (let p = 0; p < batch; p++) {
    const zo = p * nm;
    // Step 1: local costs.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const k = i * m + j;
        const self = -z[zo + k];
        if (!localSmoothing) {
          cost[k] = self;
          continue;
        }
        const lw = (p * nm + k) * 3;
        if (i === 0 && j === 0) {
          cost[k] = self - gammaLocal * LN3;
        } else if (i === 0) {
          cost[k] = self - z[zo + k - 1];
          localWeights[lw] = 1;
        } else if (j === 0) {
          cost[k] = self - z[zo + k - m];
          localWeights[lw + 1] = 1;
        } else {
          // smin over −Z of left, up, diagonal = −(max + γl·log Σ exp((Z − max)/γl)).
          const zl = z[zo + k - 1];
          const zu = z[zo + k - m];
          const zd = z[zo + k - m - 1];
          const top = zl > zu ? (zl > zd ? zl : zd) : zu > zd ? zu : zd;
          const el = Math.exp((zl - top) * invGl);
          const eu = Math.exp((zu - top) * invGl);
          const ed = Math.exp((zd - top) * invGl);
          const sum = el + eu + ed;
          cost[k] = self - top - gammaLocal * Math.log(sum);
          const inv = 1 / sum;
          localWeights[lw] = el * inv;
          localWeights[lw + 1] = eu * inv;
          localWeights[lw + 2] = ed * inv;
        }
      }
    }
    // Step 3 over the (implicitly) padded grid of step 2.
    r.fill(Infinity);
    r[0] = 0;
    const go = p * cells * 3;
    for (let a = 1; a <= rows; a++) {
      const rowIsMatch = skip ? (a & 1) === 0 : true; // grid row a−1 odd ⇔ a even
      const ci = skip ? (a >> 1) - 1 : a - 1;
      for (let b = 1; b <= cols; b++) {
        let cellCost: number;
        if (skip) {
          cellCost = rowIsMatch && (b & 1) === 0 ? cost[ci * m + (b >> 1) - 1] : delta;
        } else {
          cellCost = cost[ci * m + b - 1];
        }
        const rd = r[(a - 1) * rw + b - 1];
        const ru = r[(a - 1) * rw + b];
        const rl = r[a * rw + b - 1];
        const lo = rd < ru ? (rd < rl ? rd : rl) : ru < rl ? ru : rl;
        const ed = Math.exp((lo - rd) * invG);
        const eu = Math.exp((lo - ru) * invG);
        const el = Math.exp((lo - rl) * invG);
        const sum = ed + eu + el;
        r[a * rw + b] = cellCost + lo - gamma * Math.log(sum);
        const inv = 1 / sum;
        const w = go + ((a - 1) * cols + b - 1) * 3;
        gridWeights[w] = ed * inv;
        gridWeights[w + 1] = eu * inv;
        gridWeights[w + 2] = el * inv;
      }
    }
    similarity[p] = -r[rows * rw + cols];
  }
  return { similarity, state: { batch, n, m, options, localWeights, gridWeights } };
}

/** ∂(Σ_p dy[p]·s_p)/∂Z for the batch of the forward call, B×n×m. */
export function s2dtwBackwardBatch(state: S2dtwBatchState, dy: ArrayLike<number>): Float32Array {
  const { batch, n, m, options, localWeights, gridWeights } = state;
  if (dy.length !== batch) throw new DimensionMismatchError(`S2DTW upstream gradient has ${dy.length} values, expected ${batch}`);
  const { localSmoothing, skip } = options;
  const { rows, cols } = s2dtwGridSize(n, m, skip);
  const nm = n * m;
  const cells = rows * cols;
  const out = new Float32Array(batch * nm);
  const e = new Float64Array(cells);
  const gc = new Float64Array(nm);
  const gz = new Float64Array(nm);

  for (let p = 0; p < batch; p++) {
    const go = p * cells * 3;
    // E over the grid (0-based): E[last] = 1; E[a,b] = Σ over successors of E[succ]·w(succ ← (a,b)).
    for (let a = rows - 1; a >= 0; a--) {
      for (let b = cols - 1; b >= 0; b--) {
        const k = a * cols + b;
        if (k === cells - 1) {
          e[k] = 1;
          continue;
        }
        let acc = 0;
        if (a + 1 < rows) {
          acc += e[k + cols] * gridWeights[go + (k + cols) * 3 + 1];
          if (b + 1 < cols) acc += e[k + cols + 1] * gridWeights[go + (k + cols + 1) * 3];
        }
        if (b + 1 < cols) acc += e[k + 1] * gridWeights[go + (k + 1) * 3 + 2];
        e[k] = acc;
      }
    }
    // ∂s/∂C = −E on the match cells.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        gc[i * m + j] = -(skip ? e[(2 * i + 1) * cols + 2 * j + 1] : e[i * cols + j]);
      }
    }
    const scale = dy[p];
    const zo = p * nm;
    if (!localSmoothing) {
      for (let k = 0; k < nm; k++) out[zo + k] = -gc[k] * scale;
      continue;
    }
    gz.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const k = i * m + j;
        const g = gc[k];
        gz[k] -= g;
        if (i === 0 && j === 0) continue;
        const lw = (p * nm + k) * 3;
        if (j > 0) gz[k - 1] -= g * localWeights[lw];
        if (i > 0) gz[k - m] -= g * localWeights[lw + 1];
        if (i > 0 && j > 0) gz[k - m - 1] -= g * localWeights[lw + 2];
      }
    }
    for (let k = 0; k < nm; k++) out[zo + k] = gz[k] * scale;
  }
  return out;
}

/** The expected alignment grid E (rows×cols) of pair `p`, for inspection and tests. */
export function s2dtwExpectedAlignment(state: S2dtwBatchState, p: number): Float64Array {
  const { rows, cols } = s2dtwGridSize(state.n, state.m, state.options.skip);
  const cells = rows * cols;
  const go = p * cells * 3;
  const e = new Float64Array(cells);
  for (let k = cells - 1; k >= 0; k--) {
    if (k === cells - 1) {
      e[k] = 1;
      continue;
    }
    const a = Math.floor(k / cols);
    const b = k % cols;
    let acc = 0;
    if (a + 1 < rows) acc += e[k + cols] * state.gridWeights[go + (k + cols) * 3 + 1];
    if (a + 1 < rows && b + 1 < cols) acc += e[k + cols + 1] * state.gridWeights[go + (k + cols + 1) * 3];
    if (b + 1 < cols) acc += e[k + 1] * state.gridWeights[go + (k + 1) * 3 + 2];
    e[k] = acc;
  }
  return e;
}
