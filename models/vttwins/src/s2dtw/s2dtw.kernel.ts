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
 * 2. The backward recursion E[c] = Σ_succ E[succ]·exp((R[succ] − R[c] − P[succ])/γ) becomes, with
 *    H = E/Q, H[c] = Σ_succ H[succ]·exp(−P[succ]/γ) and E = Q·H: a reverse sweep of multiply-adds
 *    over the stored Q (scaled per row like the forward pass). Log-domain pairs keep their per-cell
 *    soft-min weights instead, which are the same factors.
 * Rows in order satisfy the DP dependencies, so one thread needs no anti-diagonal schedule.
 */

export interface S2dtwBatchState {
  readonly batch: number;
  readonly n: number;
  readonly m: number;
  readonly options: S2dtwOptions;
  /** Local smoothing weights per pair and cell: [left, up, diagonal], B×n×m×3. */
  readonly localWeights: Float64Array;
  /** exp(−C/γ) per pair and match cell, B×n×m (exponential-domain pairs). */
  readonly expCost: Float64Array;
  /** Scaled Q = exp(−R/γ) per pair, B×(N+1)×(M+1) with the border row and column. */
  readonly q: Float64Array;
  /** Per pair and row a: the factor exp(L[a−1] − L[a]) between the scales of rows a−1 and a. */
  readonly rowFactor: Float64Array;
  /** Log-domain pairs (by index): outer soft-min weights per grid cell, [diagonal, up, left], N×M×3. */
  readonly logDomainWeights: ReadonlyMap<number, Float64Array>;
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

/** Buffers of one call: per-pair views into the state plus shared scratch. */
interface Scratch {
  cost: Float64Array;
  expZ: Float64Array;
  expCost: Float64Array;
  q: Float64Array;
  rowFactor: Float64Array;
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
function gridForwardScaled(n: number, m: number, o: S2dtwOptions, s: Scratch): number {
  const { rows, cols } = s2dtwGridSize(n, m, o.skip);
  const invG = 1 / o.gamma;
  const { expCost, q, rowFactor } = s;
  const expDelta = Math.exp(-o.delta * invG);
  if (o.skip && !(expDelta > SAFE_LO && expDelta < SAFE_HI)) return Number.NaN;
  const rw = cols + 1;
  q.fill(0);
  q[0] = 1;
  rowFactor[0] = 1;
  let logScale = 0;
  for (let a = 1; a <= rows; a++) {
    const matchRow = o.skip ? (a & 1) === 0 : true;
    const ci = (o.skip ? (a >> 1) - 1 : a - 1) * m;
    const up = (a - 1) * rw;
    const here = a * rw;
    let rowMax = 0;
    for (let b = 1; b <= cols; b++) {
      const f = o.skip ? (matchRow && (b & 1) === 0 ? expCost[ci + (b >> 1) - 1] : expDelta) : expCost[ci + b - 1];
      const v = f * (q[up + b - 1] + q[up + b] + q[here + b - 1]);
      if (!(v > SAFE_LO && v < SAFE_HI)) return Number.NaN;
      q[here + b] = v;
      if (v > rowMax) rowMax = v;
    }
    rowFactor[a] = 1;
    if (rowMax > 1e30 || rowMax < 1e-30) {
      const inv = 1 / rowMax;
      for (let b = 1; b <= cols; b++) q[here + b] *= inv;
      logScale += Math.log(rowMax);
      rowFactor[a] = inv;
    }
  }
  return o.gamma * (Math.log(q[rows * rw + cols]) + logScale);
}

/** Steps 2-3 by the max-shifted log-domain recursion (the spec's form); always safe. */
function gridForwardLog(n: number, m: number, o: S2dtwOptions, gridWeights: Float64Array, s: Scratch): number {
  const { rows, cols } = s2dtwGridSize(n, m, o.skip);
  const invG = 1 / o.gamma;
  const { cost, r } = s;
  const rw = cols + 1;
  r.fill(Infinity, 0, (rows + 1) * rw);
  r[0] = 0;
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
      const w = ((a - 1) * cols + b - 1) * 3;
      gridWeights[w] = ed * inv;
      gridWeights[w + 1] = eu * inv;
      gridWeights[w + 2] = el * inv;
    }
  }
  return -r[rows * rw + cols];
}

/**
 * Forward pass for B pairs: similarities s = −S2DTW and the state the backward pass needs.
 * `forceLogDomain` runs every pair through the log-domain path (tests compare both paths).
 */
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
  const qSize = (rows + 1) * (cols + 1);
  const similarity = new Float64Array(batch);
  const localWeights = new Float64Array(options.localSmoothing ? batch * nm * 3 : 0);
  const expCost = new Float64Array(batch * nm);
  const q = new Float64Array(batch * qSize);
  const rowFactor = new Float64Array(batch * (rows + 1));
  const logDomainWeights = new Map<number, Float64Array>();
  const scratch: Scratch = {
    cost: new Float64Array(nm),
    expZ: new Float64Array(nm),
    expCost,
    q,
    rowFactor,
    r: new Float64Array(qSize),
  };
  for (let p = 0; p < batch; p++) {
    scratch.expCost = expCost.subarray(p * nm, (p + 1) * nm);
    scratch.q = q.subarray(p * qSize, (p + 1) * qSize);
    scratch.rowFactor = rowFactor.subarray(p * (rows + 1), (p + 1) * (rows + 1));
    let v = Number.NaN;
    let haveCosts = false;
    if (!forceLogDomain) {
      let ready = localExpCosts(z, p, n, m, options, localWeights, scratch);
      if (!ready) {
        localCosts(z, p, n, m, options, localWeights, scratch);
        haveCosts = true;
        ready = expOfCosts(nm, options, scratch);
      }
      if (ready) v = gridForwardScaled(n, m, options, scratch);
    }
    if (Number.isNaN(v)) {
      if (!haveCosts) localCosts(z, p, n, m, options, localWeights, scratch);
      const weights = new Float64Array(rows * cols * 3);
      v = gridForwardLog(n, m, options, weights, scratch);
      logDomainWeights.set(p, weights);
    }
    similarity[p] = v;
  }
  return {
    similarity,
    state: {
      batch,
      n,
      m,
      options,
      localWeights,
      expCost,
      q,
      rowFactor,
      logDomainWeights,
      logDomainPairs: logDomainWeights.size,
    },
  };
}

/** Reverse sweep for pair p: the expected alignment E over the grid (0-based, row-major). */
function expectedAlignmentInto(state: S2dtwBatchState, p: number, e: Float64Array): void {
  const { rows, cols } = s2dtwGridSize(state.n, state.m, state.options.skip);
  const cells = rows * cols;
  const gw = state.logDomainWeights.get(p);
  if (gw) {
    // E[cell] = Σ_succ E[succ]·w(succ ← cell) with the stored soft-min weights.
    e[cells - 1] = 1;
    for (let k = cells - 2; k >= 0; k--) {
      const a = Math.floor(k / cols);
      const b = k - a * cols;
      let acc = 0;
      if (a + 1 < rows) {
        acc += e[k + cols] * gw[(k + cols) * 3 + 1];
        if (b + 1 < cols) acc += e[k + cols + 1] * gw[(k + cols + 1) * 3];
      }
      if (b + 1 < cols) acc += e[k + 1] * gw[(k + 1) * 3 + 2];
      e[k] = acc;
    }
    return;
  }
  // H = E/Q (scaled per row like Q): H[c] = Σ_succ H[succ]·exp(−P[succ]/γ); E = q·h.
  const { n, m, options: o } = state;
  const rw = cols + 1;
  const qSize = (rows + 1) * rw;
  const q = state.q.subarray(p * qSize, (p + 1) * qSize);
  const rho = state.rowFactor.subarray(p * (rows + 1), (p + 1) * (rows + 1));
  const ec = state.expCost.subarray(p * n * m, (p + 1) * n * m);
  const expDelta = Math.exp(-o.delta / o.gamma);
  // f of row a (1-based) at column b, into fRow buffers: current row and the row below.
  let hBelow = new Float64Array(cols + 2);
  let fBelow = new Float64Array(cols + 2);
  let hHere = new Float64Array(cols + 2);
  let fHere = new Float64Array(cols + 2);
  const fillF = (a: number, f: Float64Array): void => {
    const matchRow = o.skip ? (a & 1) === 0 : true;
    const ci = (o.skip ? (a >> 1) - 1 : a - 1) * m;
    for (let b = 1; b <= cols; b++) {
      f[b] = o.skip ? (matchRow && (b & 1) === 0 ? ec[ci + (b >> 1) - 1] : expDelta) : ec[ci + b - 1];
    }
  };
  for (let a = rows; a >= 1; a--) {
    fillF(a, fHere);
    const factor = a < rows ? rho[a + 1] : 0;
    const here = a * rw;
    hHere[cols + 1] = 0;
    fHere[cols + 1] = 0;
    for (let b = cols; b >= 1; b--) {
      let h: number;
      if (a === rows && b === cols) h = 1 / q[here + b];
      else {
        const down = a < rows ? (hBelow[b] * fBelow[b] + hBelow[b + 1] * fBelow[b + 1]) * factor : 0;
        h = down + hHere[b + 1] * fHere[b + 1];
      }
      hHere[b] = h;
      e[(a - 1) * cols + b - 1] = q[here + b] * h;
    }
    [hBelow, hHere] = [hHere, hBelow];
    [fBelow, fHere] = [fHere, fBelow];
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
