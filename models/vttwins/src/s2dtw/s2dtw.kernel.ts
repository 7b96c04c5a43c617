import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { S2dtwOptions } from './s2dtw-options';

/*
 * Batched S2DTW in plain JS over typed arrays: B similarity matrices (B×n×m, row-major) in one call;
 * float64 arithmetic inside even for float32 input.
 *
 * Speed comes from two exact rewrites of the spec's recursion (vt-twins.md sections 3-4):
 * 1. The soft-DTW recursion R = P + smin_γ(R_d, R_u, R_l) is run as Q = exp(−P/γ)·(Q_d + Q_u + Q_l)
 *    with Q = exp(−R/γ), rescaling a row whenever its maximum leaves [1e-30, 1e30] (the scale is kept
 *    in log form). The skip cells share one constant exp(−δ/γ), so the grid needs no transcendental
 *    per cell; only the n·m match cells need one exp. If anything under- or overflows (extreme γ or
 *    unnormalised input), that pair is recomputed by the max-shifted log-domain recursion.
 * 2. The forward pass keeps, per cell, the soft-min weights of its three predecessors; those weights
 *    are exactly the exp((R[succ] − R[cell] − P[succ])/γ) factors of the backward recursion, so the
 *    backward pass is a reverse sweep of multiply-adds.
 * Rows in order satisfy the DP dependencies, so one thread needs no anti-diagonal schedule.
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
  /** How many pairs needed the log-domain fallback. */
  readonly logDomainPairs: number;
}

export interface S2dtwBatchResult {
  /** s = −softDTW per pair, length B. */
  similarity: Float64Array;
  state: S2dtwBatchState;
}

const LN3 = Math.log(3);
const SAFE_LO = 1e-280;
const SAFE_HI = 1e280;

export function s2dtwGridSize(n: number, m: number, skip: boolean): { rows: number; cols: number } {
  return skip ? { rows: 2 * n + 1, cols: 2 * m + 1 } : { rows: n, cols: m };
}

/** Scratch buffers shared by the pairs of one call. */
interface Scratch {
  cost: Float64Array;
  expZ: Float64Array;
  expCost: Float64Array;
  q: Float64Array;
  r: Float64Array;
}

/** Step 1 for pair p: local costs into scratch.cost and their weights into localWeights. */
function localCosts(
  z: ArrayLike<number>,
  p: number,
  n: number,
  m: number,
  o: S2dtwOptions,
  localWeights: Float64Array,
  s: Scratch,
): void {
  const nm = n * m;
  const zo = p * nm;
  const { cost, expZ } = s;
  if (!o.localSmoothing) {
    for (let k = 0; k < nm; k++) cost[k] = -z[zo + k];
    return;
  }
  const gl = o.gammaLocal;
  const invGl = 1 / gl;
  let top = -Infinity;
  for (let k = 0; k < nm; k++) if (z[zo + k] > top) top = z[zo + k];
  for (let k = 0; k < nm; k++) expZ[k] = Math.exp((z[zo + k] - top) * invGl);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      const self = -z[zo + k];
      const lw = (zo + k) * 3;
      if (i === 0 && j === 0) {
        cost[k] = self - gl * LN3;
      } else if (i === 0) {
        cost[k] = self - z[zo + k - 1];
        localWeights[lw] = 1;
      } else if (j === 0) {
        cost[k] = self - z[zo + k - m];
        localWeights[lw + 1] = 1;
      } else {
        // smin_γl over −Z of left, up, diagonal = −top − γl·log Σ exp((Z − top)/γl).
        let el = expZ[k - 1];
        let eu = expZ[k - m];
        let ed = expZ[k - m - 1];
        let shift = top;
        let sum = el + eu + ed;
        if (!(sum > SAFE_LO)) {
          // The pair's similarities span too wide a range for the shared shift: shift locally.
          const zl = z[zo + k - 1];
          const zu = z[zo + k - m];
          const zd = z[zo + k - m - 1];
          shift = Math.max(zl, zu, zd);
          el = Math.exp((zl - shift) * invGl);
          eu = Math.exp((zu - shift) * invGl);
          ed = Math.exp((zd - shift) * invGl);
          sum = el + eu + ed;
        }
        cost[k] = self - shift - gl * Math.log(sum);
        const inv = 1 / sum;
        localWeights[lw] = el * inv;
        localWeights[lw + 1] = eu * inv;
        localWeights[lw + 2] = ed * inv;
      }
    }
  }
}

/**
 * Step 1 straight into the exponential domain when γ_l = γ (the default): exp(−C/γ) is then a product
 * of exp(Z/γ) factors and the predecessor sum, so no log is needed. Returns false (caller falls back
 * to `localCosts` + exp) when γ_l ≠ γ or the values leave the safe range.
 */
function localExpCosts(
  z: ArrayLike<number>,
  p: number,
  n: number,
  m: number,
  o: S2dtwOptions,
  localWeights: Float64Array,
  s: Scratch,
): boolean {
  if (!o.localSmoothing || o.gammaLocal !== o.gamma) return false;
  const nm = n * m;
  const zo = p * nm;
  const { expZ, expCost } = s;
  const invG = 1 / o.gamma;
  let top = -Infinity;
  for (let k = 0; k < nm; k++) if (z[zo + k] > top) top = z[zo + k];
  for (let k = 0; k < nm; k++) expZ[k] = Math.exp((z[zo + k] - top) * invG);
  const et = Math.exp(top * invG);
  const et2 = et * et;
  if (!(et2 > SAFE_LO && et2 < SAFE_HI)) return false;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      const lw = (zo + k) * 3;
      let v: number;
      if (i === 0 && j === 0) {
        v = expZ[k] * et * 3;
      } else if (i === 0) {
        v = expZ[k] * expZ[k - 1] * et2;
        localWeights[lw] = 1;
      } else if (j === 0) {
        v = expZ[k] * expZ[k - m] * et2;
        localWeights[lw + 1] = 1;
      } else {
        const el = expZ[k - 1];
        const eu = expZ[k - m];
        const ed = expZ[k - m - 1];
        const sum = el + eu + ed;
        v = expZ[k] * sum * et2;
        const inv = 1 / sum;
        localWeights[lw] = el * inv;
        localWeights[lw + 1] = eu * inv;
        localWeights[lw + 2] = ed * inv;
      }
      if (!(v > SAFE_LO && v < SAFE_HI)) return false;
      expCost[k] = v;
    }
  }
  return true;
}

/** exp(−C/γ) of the costs left in scratch.cost by `localCosts`; false when out of the safe range. */
function expOfCosts(nm: number, o: S2dtwOptions, s: Scratch): boolean {
  const invG = 1 / o.gamma;
  for (let k = 0; k < nm; k++) {
    const v = Math.exp(-s.cost[k] * invG);
    if (!(v > SAFE_LO && v < SAFE_HI)) return false;
    s.expCost[k] = v;
  }
  return true;
}

/** Steps 2-3 in the scaled exponential domain over scratch.expCost; NaN when the pair must use the log domain. */
function gridForwardScaled(
  p: number,
  n: number,
  m: number,
  o: S2dtwOptions,
  gridWeights: Float64Array,
  s: Scratch,
): number {
  const { rows, cols } = s2dtwGridSize(n, m, o.skip);
  const invG = 1 / o.gamma;
  const { expCost, q } = s;
  const expDelta = Math.exp(-o.delta * invG);
  if (o.skip && !(expDelta > SAFE_LO && expDelta < SAFE_HI)) return Number.NaN;
  const rw = cols + 1;
  q.fill(0, 0, (rows + 1) * rw);
  q[0] = 1;
  let logScale = 0;
  const go = p * rows * cols * 3;
  for (let a = 1; a <= rows; a++) {
    const matchRow = o.skip ? (a & 1) === 0 : true;
    const ci = (o.skip ? (a >> 1) - 1 : a - 1) * m;
    const up = (a - 1) * rw;
    const here = a * rw;
    let rowMax = 0;
    for (let b = 1; b <= cols; b++) {
      const f = o.skip ? (matchRow && (b & 1) === 0 ? expCost[ci + (b >> 1) - 1] : expDelta) : expCost[ci + b - 1];
      const qd = q[up + b - 1];
      const qu = q[up + b];
      const ql = q[here + b - 1];
      const sum = qd + qu + ql;
      const v = f * sum;
      if (!(v > SAFE_LO && v < SAFE_HI)) return Number.NaN;
      const inv = 1 / sum;
      const w = go + ((a - 1) * cols + b - 1) * 3;
      gridWeights[w] = qd * inv;
      gridWeights[w + 1] = qu * inv;
      gridWeights[w + 2] = ql * inv;
      q[here + b] = v;
      if (v > rowMax) rowMax = v;
    }
    if (rowMax > 1e30 || rowMax < 1e-30) {
      const inv = 1 / rowMax;
      for (let b = 1; b <= cols; b++) q[here + b] *= inv;
      logScale += Math.log(rowMax);
    }
  }
  return o.gamma * (Math.log(q[rows * rw + cols]) + logScale);
}

/** Steps 2-3 by the max-shifted log-domain recursion (the spec's form); always safe. */
function gridForwardLog(
  p: number,
  n: number,
  m: number,
  o: S2dtwOptions,
  gridWeights: Float64Array,
  s: Scratch,
): number {
  const { rows, cols } = s2dtwGridSize(n, m, o.skip);
  const invG = 1 / o.gamma;
  const { cost, r } = s;
  const rw = cols + 1;
  r.fill(Infinity, 0, (rows + 1) * rw);
  r[0] = 0;
  const go = p * rows * cols * 3;
  for (let a = 1; a <= rows; a++) {
    const matchRow = o.skip ? (a & 1) === 0 : true;
    const ci = (o.skip ? (a >> 1) - 1 : a - 1) * m;
    for (let b = 1; b <= cols; b++) {
      const c = o.skip ? (matchRow && (b & 1) === 0 ? cost[ci + (b >> 1) - 1] : o.delta) : cost[ci + b - 1];
      const rd = r[(a - 1) * rw + b - 1];
      const ru = r[(a - 1) * rw + b];
      const rl = r[a * rw + b - 1];
      const lo = Math.min(rd, ru, rl);
      const ed = Math.exp((lo - rd) * invG);
      const eu = Math.exp((lo - ru) * invG);
      const el = Math.exp((lo - rl) * invG);
      const sum = ed + eu + el;
      r[a * rw + b] = c + lo - o.gamma * Math.log(sum);
      const inv = 1 / sum;
      const w = go + ((a - 1) * cols + b - 1) * 3;
      gridWeights[w] = ed * inv;
      gridWeights[w + 1] = eu * inv;
      gridWeights[w + 2] = el * inv;
    }
  }
  return -r[rows * rw + cols];
}

export function s2dtwForwardBatch(
  z: ArrayLike<number>,
  batch: number,
  n: number,
  m: number,
  options: S2dtwOptions,
  forceLogDomain = false,
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
  const { rows, cols } = s2dtwGridSize(n, m, options.skip);
  const nm = n * m;
  const similarity = new Float64Array(batch);
  const localWeights = new Float64Array(options.localSmoothing ? batch * nm * 3 : 0);
  const gridWeights = new Float64Array(batch * rows * cols * 3);
  const scratch: Scratch = {
    cost: new Float64Array(nm),
    expZ: new Float64Array(nm),
    expCost: new Float64Array(nm),
    q: new Float64Array((rows + 1) * (cols + 1)),
    r: new Float64Array((rows + 1) * (cols + 1)),
  };
  let logDomainPairs = 0;
  for (let p = 0; p < batch; p++) {
    let v = Number.NaN;
    let haveCosts = false;
    if (!forceLogDomain) {
      let ready = localExpCosts(z, p, n, m, options, localWeights, scratch);
      if (!ready) {
        localCosts(z, p, n, m, options, localWeights, scratch);
        haveCosts = true;
        ready = expOfCosts(nm, options, scratch);
      }
      if (ready) v = gridForwardScaled(p, n, m, options, gridWeights, scratch);
    }
    if (Number.isNaN(v)) {
      if (!haveCosts) localCosts(z, p, n, m, options, localWeights, scratch);
      v = gridForwardLog(p, n, m, options, gridWeights, scratch);
      logDomainPairs++;
    }
    similarity[p] = v;
  }
  return { similarity, state: { batch, n, m, options, localWeights, gridWeights, logDomainPairs } };
}

/** Reverse sweep for pair p: E over the grid (0-based), E[last] = 1, E[cell] = Σ_succ E[succ]·w(succ ← cell). */
function expectedAlignmentInto(state: S2dtwBatchState, p: number, e: Float64Array): void {
  const { rows, cols } = s2dtwGridSize(state.n, state.m, state.options.skip);
  const cells = rows * cols;
  const gw = state.gridWeights;
  const go = p * cells * 3;
  e[cells - 1] = 1;
  for (let b = cols - 2; b >= 0; b--) {
    const k = (rows - 1) * cols + b;
    e[k] = e[k + 1] * gw[go + (k + 1) * 3 + 2];
  }
  for (let a = rows - 2; a >= 0; a--) {
    const last = a * cols + cols - 1;
    e[last] = e[last + cols] * gw[go + (last + cols) * 3 + 1];
    for (let b = cols - 2; b >= 0; b--) {
      const k = a * cols + b;
      e[k] =
        e[k + cols] * gw[go + (k + cols) * 3 + 1] +
        e[k + cols + 1] * gw[go + (k + cols + 1) * 3] +
        e[k + 1] * gw[go + (k + 1) * 3 + 2];
    }
  }
}

/** ∂(Σ_p dy[p]·s_p)/∂Z for the batch of the forward call, B×n×m. */
export function s2dtwBackwardBatch(state: S2dtwBatchState, dy: ArrayLike<number>): Float32Array {
  const { batch, n, m, options, localWeights } = state;
  if (dy.length !== batch) {
    throw new DimensionMismatchError(`S2DTW upstream gradient has ${dy.length} values, expected ${batch}`);
  }
  const { localSmoothing, skip } = options;
  const { rows, cols } = s2dtwGridSize(n, m, skip);
  const nm = n * m;
  const out = new Float32Array(batch * nm);
  const e = new Float64Array(rows * cols);
  const gc = new Float64Array(nm);
  const gz = new Float64Array(nm);

  for (let p = 0; p < batch; p++) {
    expectedAlignmentInto(state, p, e);
    // ∂s/∂C = −E on the match cells.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) gc[i * m + j] = -(skip ? e[(2 * i + 1) * cols + 2 * j + 1] : e[i * cols + j]);
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
        const lw = (zo + k) * 3;
        if (j > 0) gz[k - 1] -= g * localWeights[lw];
        if (i > 0) gz[k - m] -= g * localWeights[lw + 1];
        if (i > 0 && j > 0) gz[k - m - 1] -= g * localWeights[lw + 2];
      }
    }
    for (let k = 0; k < nm; k++) out[zo + k] = gz[k] * scale;
  }
  return out;
}

/** The expected alignment grid E (rows×cols, row-major) of pair `p`, for inspection and tests. */
export function s2dtwExpectedAlignment(state: S2dtwBatchState, p: number): Float64Array {
  const { rows, cols } = s2dtwGridSize(state.n, state.m, state.options.skip);
  const e = new Float64Array(rows * cols);
  expectedAlignmentInto(state, p, e);
  return e;
}
