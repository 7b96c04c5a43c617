import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import { type S2dtwOptions, resolveS2dtwOptions } from './s2dtw-options';

/*
 * Plain float64 reference of S2DTW, written to follow the spec (vt-twins.md sections 3-4) line by line:
 * one pair at a time, number[][] grids, +∞ borders, the backward pass recomputing its exponentials.
 * It is the oracle for the tests and the naive baseline of bench/s2dtw. Not for training.
 */

export type Matrix = number[][];

/** smin_g over the finite values: −g·log Σ exp(−a/g), max-shifted; +∞ entries are dropped. */
export function softMin(values: readonly number[], gamma: number): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Infinity;
  if (finite.length === 1) return finite[0];
  const lo = Math.min(...finite);
  let sum = 0;
  for (const v of finite) sum += Math.exp(-(v - lo) / gamma);
  return lo - gamma * Math.log(sum);
}

function filled(rows: number, cols: number, value: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(value));
}

function checkMatrix(z: Matrix, what: string): { n: number; m: number } {
  const n = z.length;
  const m = n > 0 ? z[0].length : 0;
  if (n === 0 || m === 0) throw new InvalidInputError(`${what} must be a non-empty matrix`);
  for (const row of z) {
    if (row.length !== m) throw new DimensionMismatchError(`${what} rows have different lengths`);
    for (const v of row) if (!Number.isFinite(v)) throw new InvalidInputError(`${what} has a non-finite entry`);
  }
  return { n, m };
}

/** The existing DTW predecessors (left, up, diagonal) of cell (i, j), as [row, col] pairs. */
function predecessors(i: number, j: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (j > 0) out.push([i, j - 1]);
  if (i > 0) out.push([i - 1, j]);
  if (i > 0 && j > 0) out.push([i - 1, j - 1]);
  return out;
}

/** Step 1: C[i,j] = −Z[i,j] + smin_{γl}(−Z over the existing predecessors); C[0,0] uses (0, 0, 0). */
export function localSmoothCostReference(z: Matrix, gammaLocal: number): Matrix {
  const { n, m } = checkMatrix(z, 'Z');
  const c = filled(n, m, 0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const preds = i === 0 && j === 0 ? [0, 0, 0] : predecessors(i, j).map(([a, b]) => -z[a][b]);
      c[i][j] = -z[i][j] + softMin(preds, gammaLocal);
    }
  }
  return c;
}

/** Step 2: P[2i+1, 2j+1] = C[i,j], δ everywhere else; (2n+1)×(2m+1). */
export function padWithThresholdReference(c: Matrix, delta: number): Matrix {
  const { n, m } = checkMatrix(c, 'C');
  const p = filled(2 * n + 1, 2 * m + 1, delta);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) p[2 * i + 1][2 * j + 1] = c[i][j];
  return p;
}

/** Step 3: soft-DTW forward table R, (N+2)×(M+2) with the spec's 1-based layout; value R[N][M]. */
export function softDtwReference(p: Matrix, gamma: number): { value: number; r: Matrix } {
  const { n: rows, m: cols } = checkMatrix(p, 'P');
  const r = filled(rows + 2, cols + 2, Infinity);
  r[0][0] = 0;
  for (let a = 1; a <= rows; a++) {
    for (let b = 1; b <= cols; b++) {
      r[a][b] = p[a - 1][b - 1] + softMin([r[a - 1][b - 1], r[a - 1][b], r[a][b - 1]], gamma);
    }
  }
  return { value: r[rows][cols], r };
}

/** Cuturi & Blondel, Algorithm 2: E = ∂softDTW/∂P (the expected alignment), N×M. */
export function softDtwExpectedAlignmentReference(p: Matrix, rIn: Matrix, gamma: number): Matrix {
  const rows = p.length;
  const cols = p[0].length;
  const r = rIn.map((row) => row.slice());
  const pp = filled(rows + 2, cols + 2, 0);
  for (let a = 1; a <= rows; a++) for (let b = 1; b <= cols; b++) pp[a][b] = p[a - 1][b - 1];
  for (let a = 0; a < rows + 2; a++) r[a][cols + 1] = -Infinity;
  for (let b = 0; b < cols + 2; b++) r[rows + 1][b] = -Infinity;
  r[rows + 1][cols + 1] = r[rows][cols];
  for (let a = 0; a < rows + 2; a++) for (let b = 0; b < cols + 2; b++) if (r[a][b] === Infinity) r[a][b] = -Infinity;
  const e = filled(rows + 2, cols + 2, 0);
  e[rows + 1][cols + 1] = 1;
  for (let a = rows; a >= 1; a--) {
    for (let b = cols; b >= 1; b--) {
      const x = Math.exp((r[a + 1][b] - r[a][b] - pp[a + 1][b]) / gamma);
      const y = Math.exp((r[a][b + 1] - r[a][b] - pp[a][b + 1]) / gamma);
      const w = Math.exp((r[a + 1][b + 1] - r[a][b] - pp[a + 1][b + 1]) / gamma);
      e[a][b] = e[a + 1][b] * x + e[a][b + 1] * y + e[a + 1][b + 1] * w;
    }
  }
  return e.slice(1, rows + 1).map((row) => row.slice(1, cols + 1));
}

export interface S2dtwReferenceResult {
  /** s(V, T) = −R[N, M]. */
  similarity: number;
  /** ∂s/∂Z, n×m. */
  gradZ: Matrix;
  /** Local costs C (or −Z without smoothing). */
  cost: Matrix;
  /** The grid the soft-DTW runs on. */
  grid: Matrix;
  /** Expected alignment over the grid, ∂softDTW/∂grid. */
  alignment: Matrix;
}

/** S2DTW similarity of one pair from its similarity matrix Z = V Tᵀ (rows clips, columns sentences). */
export function s2dtwReference(z: Matrix, options: Partial<S2dtwOptions> = {}): S2dtwReferenceResult {
  const o = resolveS2dtwOptions(options);
  const { n, m } = checkMatrix(z, 'Z');
  const cost = o.localSmoothing ? localSmoothCostReference(z, o.gammaLocal) : z.map((row) => row.map((v) => -v));
  const grid = o.skip ? padWithThresholdReference(cost, o.delta) : cost;
  const { value, r } = softDtwReference(grid, o.gamma);
  const alignment = softDtwExpectedAlignmentReference(grid, r, o.gamma);

  // Chain rule (spec section 4): ∂s/∂C = −E on the match cells, then through the smoothing.
  const gradCost = filled(n, m, 0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) gradCost[i][j] = -(o.skip ? alignment[2 * i + 1][2 * j + 1] : alignment[i][j]);
  }
  const gradZ = filled(n, m, 0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      gradZ[i][j] -= gradCost[i][j];
      if (!o.localSmoothing || (i === 0 && j === 0)) continue;
      const preds = predecessors(i, j);
      const top = Math.max(...preds.map(([a, b]) => z[a][b] / o.gammaLocal));
      const ws = preds.map(([a, b]) => Math.exp(z[a][b] / o.gammaLocal - top));
      const total = ws.reduce((s, w) => s + w, 0);
      preds.forEach(([a, b], k) => {
        gradZ[a][b] -= gradCost[i][j] * (ws[k] / total);
      });
    }
  }
  return { similarity: -value, gradZ, cost, grid, alignment };
}

/** Z = V Tᵀ for row-major sequences of vectors. */
export function similarityMatrixReference(v: Matrix, t: Matrix): Matrix {
  if (v.length === 0 || t.length === 0) throw new InvalidInputError('V and T must be non-empty');
  const d = v[0].length;
  if (t[0].length !== d) throw new DimensionMismatchError(`V has dimension ${d}, T has ${t[0].length}`);
  return v.map((vr) => t.map((tr) => vr.reduce((s, x, k) => s + x * tr[k], 0)));
}

/** s(V, T) with gradients ∂s/∂V = G·T and ∂s/∂T = Gᵀ·V (no normalisation inside). */
export function s2dtwEmbeddingsReference(
  v: Matrix,
  t: Matrix,
  options: Partial<S2dtwOptions> = {},
): { similarity: number; gradV: Matrix; gradT: Matrix } {
  const z = similarityMatrixReference(v, t);
  const { similarity, gradZ } = s2dtwReference(z, options);
  const d = v[0].length;
  const gradV = v.map((_, i) => {
    const out = new Array<number>(d).fill(0);
    t.forEach((tr, j) => tr.forEach((x, k) => (out[k] += gradZ[i][j] * x)));
    return out;
  });
  const gradT = t.map((_, j) => {
    const out = new Array<number>(d).fill(0);
    v.forEach((vr, i) => vr.forEach((x, k) => (out[k] += gradZ[i][j] * x)));
    return out;
  });
  return { similarity, gradV, gradT };
}

/** Soft minimum over all monotone paths by brute-force enumeration (tests only; tiny grids). */
export function softDtwBruteForce(p: Matrix, gamma: number): { value: number; paths: number; alignment: Matrix } {
  const rows = p.length;
  const cols = p[0].length;
  const costs: number[] = [];
  const cellsOfPath: Array<Array<[number, number]>> = [];
  const walk = (a: number, b: number, acc: number, cells: Array<[number, number]>): void => {
    const here = acc + p[a][b];
    const path = [...cells, [a, b] as [number, number]];
    if (a === rows - 1 && b === cols - 1) {
      costs.push(here);
      cellsOfPath.push(path);
      return;
    }
    if (a + 1 < rows) walk(a + 1, b, here, path);
    if (b + 1 < cols) walk(a, b + 1, here, path);
    if (a + 1 < rows && b + 1 < cols) walk(a + 1, b + 1, here, path);
  };
  walk(0, 0, 0, []);
  const value = softMin(costs, gamma);
  const alignment = filled(rows, cols, 0);
  costs.forEach((c, k) => {
    const prob = Math.exp(-(c - value) / gamma);
    for (const [a, b] of cellsOfPath[k]) alignment[a][b] += prob;
  });
  return { value, paths: costs.length, alignment };
}
