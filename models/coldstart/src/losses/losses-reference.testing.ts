/**
 * Float64 plain-JS references of the cold-start losses, used only by the specs to cross-check the
 * TF.js versions.
 */
const logSumExp = (xs: number[]): number => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
};
export const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

export function refSampledSoftmax(
  scores: number[][],
  posUser: number[],
  posItem: number[],
  interacted: number[][],
  tau: number,
  keepPositive = true,
): number[] {
  return posUser.map((u, k) => {
    const i = posItem[k];
    const denom: number[] = [];
    scores[u].forEach((s, j) => {
      if (!interacted[u][j] || (keepPositive && j === i)) denom.push(s / tau);
    });
    return logSumExp(denom) - scores[u][i] / tau;
  });
}

/** Mean over all ordered pairs (one number). */
export function refPairwise(
  scores: number[][],
  posUser: number[],
  posItem: number[],
  posRating: number[],
  ratings: number[][],
  interacted: number[][],
  tau: number,
  unratedBelow = true,
): number {
  let sum = 0;
  let n = 0;
  posUser.forEach((u, k) => {
    const i = posItem[k];
    scores[u].forEach((s, j) => {
      if (j === i) return;
      const lower = interacted[u][j] ? !Number.isNaN(ratings[u][j]) && ratings[u][j] < posRating[k] : unratedBelow;
      if (!lower) return;
      sum += softplus(-(scores[u][i] - s) / tau);
      n++;
    });
  });
  return sum / n;
}

export function refInfoNce(ha: number[][], hb: number[][], tau: number): number {
  const norm = (h: number[][]) =>
    h.map((r) => {
      const l = Math.sqrt(r.reduce((a, x) => a + x * x, 0));
      return r.map((x) => x / l);
    });
  const a = norm(ha);
  const b = norm(hb);
  const n = a.length;
  const logits = a.map((ra) => b.map((rb) => ra.reduce((s, x, d) => s + x * rb[d], 0) / tau));
  let ab = 0;
  let ba = 0;
  for (let i = 0; i < n; i++) {
    ab += logSumExp(logits[i]) - logits[i][i];
    ba += logSumExp(logits.map((r) => r[i])) - logits[i][i];
  }
  return 0.5 * (ab / n + ba / n);
}

/** Central differences of a scalar function of a flat vector, in float64. */
export function centralDiff(f: (x: number[]) => number, x: number[], h: number): number[] {
  return x.map((_, i) => {
    const up = [...x];
    const down = [...x];
    up[i] += h;
    down[i] -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

export const reshape = (flat: number[], rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
