/**
 * Float64 plain-JS references of the losses, used only by the specs to cross-check the TF.js versions.
 */
export const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function refDpo(pw: number[], pl: number[], rw: number[], rl: number[], beta: number): number[] {
  return pw.map((_, i) => softplus(-(beta * (pw[i] - rw[i]) - beta * (pl[i] - rl[i]))));
}

export function refKto(p: number[], r: number[], labels: number[], beta: number, z0: number, ld = 1, lu = 1): number[] {
  return p.map((_, i) => {
    const u = beta * (p[i] - r[i] - z0);
    return labels[i] ? ld * (1 - sigmoid(u)) : lu * (1 - sigmoid(-u));
  });
}

export function refBco(
  p: number[],
  r: number[],
  labels: number[],
  beta: number,
  delta: number,
  w?: number[],
): number[] {
  return p.map((_, i) => {
    const s = beta * (p[i] - r[i]) - delta;
    return labels[i] ? softplus(-s) : softplus(s) * (w ? w[i] : 1);
  });
}

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Central differences of a scalar function of a vector, in float64. */
export function centralDiff(f: (x: number[]) => number, x: number[], h: number): number[] {
  return x.map((_, i) => {
    const up = [...x];
    const dn = [...x];
    up[i] += h;
    dn[i] -= h;
    return (f(up) - f(dn)) / (2 * h);
  });
}
