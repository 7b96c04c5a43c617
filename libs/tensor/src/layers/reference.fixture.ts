/**
 * Plain-JS float64 reference of the attention and transformer blocks, written step by step
 * from the definitions, to test the TF.js layers against. Test-only.
 */
export type Mat = number[][];

export function matmul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

export function addBias(a: Mat, bias: number[]): Mat {
  return a.map((row) => row.map((v, j) => v + bias[j]));
}

export function layerNorm(a: Mat, gamma: number[], beta: number[], eps = 1e-5): Mat {
  return a.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v, j) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[j] + beta[j]);
  });
}

export function gelu(v: number): number {
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
}

export interface RefAttention {
  wq: Mat;
  bq: number[];
  wk: Mat;
  bk: number[];
  wv: Mat;
  bv: number[];
  wo: Mat;
  bo: number[];
}

/** One sequence: xq [Tq, d], xkv [Tk, dk]; bias[i][j] added to scores (0 or -1e9). */
export function attention(xq: Mat, xkv: Mat, w: RefAttention, heads: number, bias?: Mat): Mat {
  const q = addBias(matmul(xq, w.wq), w.bq);
  const k = addBias(matmul(xkv, w.wk), w.bk);
  const v = addBias(matmul(xkv, w.wv), w.bv);
  const d = q[0].length;
  const dh = d / heads;
  const ctx: Mat = q.map(() => new Array(d).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < q.length; i++) {
      const scores = k.map((kr, j) => {
        let s = 0;
        for (let c = 0; c < dh; c++) s += q[i][h * dh + c] * kr[h * dh + c];
        return s / Math.sqrt(dh) + (bias ? bias[i][j] : 0);
      });
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const z = e.reduce((s, x) => s + x, 0);
      for (let j = 0; j < k.length; j++)
        for (let c = 0; c < dh; c++) ctx[i][h * dh + c] += (e[j] / z) * v[j][h * dh + c];
    }
  }
  return addBias(matmul(ctx, w.wo), w.bo);
}

export interface RefBlock {
  ln1: { gamma: number[]; beta: number[] };
  attn: RefAttention;
  ln2: { gamma: number[]; beta: number[] };
  up: { w: Mat; b: number[] };
  down: { w: Mat; b: number[] };
}

export function encoderBlock(x: Mat, p: RefBlock, heads: number, bias?: Mat): Mat {
  const n1 = layerNorm(x, p.ln1.gamma, p.ln1.beta);
  const a = attention(n1, n1, p.attn, heads, bias);
  const h = x.map((row, i) => row.map((v, j) => v + a[i][j]));
  const n2 = layerNorm(h, p.ln2.gamma, p.ln2.beta);
  const f = addBias(
    matmul(
      addBias(matmul(n2, p.up.w), p.up.b).map((r) => r.map(gelu)),
      p.down.w,
    ),
    p.down.b,
  );
  return h.map((row, i) => row.map((v, j) => v + f[i][j]));
}
