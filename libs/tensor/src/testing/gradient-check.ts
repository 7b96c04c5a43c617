import * as tf from '@tensorflow/tfjs';

export interface GradientCheckOptions {
  /** Central-difference step; 1e-3..1e-2 suits float32. */
  eps?: number;
  /** Relative tolerance on |analytic - numeric| / max(|analytic|, |numeric|, atol). */
  rtol?: number;
  /** Absolute floor for the relative error's denominator. */
  atol?: number;
  /** Check at most this many coordinates per input (evenly spread); default all. */
  maxPerInput?: number;
}

export interface GradientCheckResult {
  ok: boolean;
  /** Worst relative error seen. */
  maxRelError: number;
  /** Where the worst error was: input index and flat coordinate. */
  worst: { input: number; index: number; analytic: number; numeric: number };
  checked: number;
}

/**
 * Compares tf.grads of a scalar function with central differences
 * (f(x + eps) - f(x - eps)) / 2 eps, coordinate by coordinate. `f` must be deterministic
 * (no dropout without a fixed seed). Returns the worst error; does not throw.
 */
export function gradientCheck(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  opts: GradientCheckOptions = {},
): GradientCheckResult {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const analytic = tf
    .tidy(() => tf.grads(f)(inputs))
    .map((g) => {
      const v = g.dataSync().slice();
      g.dispose();
      return v;
    });
  const base = inputs.map((t) => t.dataSync().slice());
  const evalAt = (which: number, values: Float32Array): number => {
    const scope = tf.tidy(() => {
      const args = inputs.map((t, i) => (i === which ? tf.tensor(values, t.shape, t.dtype) : t));
      return f(...args);
    });
    const v = scope.dataSync()[0];
    scope.dispose();
    return v;
  };
  let worst = { input: -1, index: -1, analytic: 0, numeric: 0 };
  let maxRelError = 0;
  let checked = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].dtype !== 'float32') continue;
    const n = base[i].length;
    const stride = opts.maxPerInput && n > opts.maxPerInput ? n / opts.maxPerInput : 1;
    for (let c = 0; c < n; c += stride) {
      const j = Math.floor(c);
      const x = Float32Array.from(base[i]);
      x[j] = base[i][j] + eps;
      const up = evalAt(i, x);
      x[j] = base[i][j] - eps;
      const down = evalAt(i, x);
      // The perturbation actually applied, after float32 rounding.
      const h = Math.fround(base[i][j] + eps) - Math.fround(base[i][j] - eps);
      const numeric = (up - down) / h;
      const a = analytic[i][j];
      const rel = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), atol);
      checked++;
      if (worst.input < 0 || rel > maxRelError) {
        maxRelError = rel;
        worst = { input: i, index: j, analytic: a, numeric };
      }
    }
  }
  return { ok: maxRelError <= rtol, maxRelError, worst, checked };
}

/**
 * Gradient check for a loss closing over variables (model parameters): tf.variableGrads
 * against central differences made by assigning x ± eps. Values are restored afterwards.
 */
export function gradientCheckVariables(
  f: () => tf.Scalar,
  vars: tf.Variable[],
  opts: GradientCheckOptions = {},
): GradientCheckResult {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const { value, grads } = tf.variableGrads(f, vars);
  value.dispose();
  const analytic = vars.map((v) => {
    const g = grads[v.name];
    const a = g ? g.dataSync().slice() : new Float32Array(v.size);
    return a;
  });
  tf.dispose(Object.values(grads));
  const lossAt = (): number => {
    const s = tf.tidy(f);
    const v = s.dataSync()[0];
    s.dispose();
    return v;
  };
  let worst = { input: -1, index: -1, analytic: 0, numeric: 0 };
  let maxRelError = 0;
  let checked = 0;
  vars.forEach((v, i) => {
    const base = v.dataSync().slice();
    const n = base.length;
    const stride = opts.maxPerInput && n > opts.maxPerInput ? n / opts.maxPerInput : 1;
    const probe = Float32Array.from(base);
    for (let c = 0; c < n; c += stride) {
      const j = Math.floor(c);
      probe[j] = base[j] + eps;
      tf.tidy(() => v.assign(tf.tensor(probe, v.shape)));
      const up = lossAt();
      probe[j] = base[j] - eps;
      tf.tidy(() => v.assign(tf.tensor(probe, v.shape)));
      const down = lossAt();
      probe[j] = base[j];
      const h = Math.fround(base[j] + eps) - Math.fround(base[j] - eps);
      const numeric = (up - down) / h;
      const a = analytic[i][j];
      const rel = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), atol);
      checked++;
      if (worst.input < 0 || rel > maxRelError) {
        maxRelError = rel;
        worst = { input: i, index: j, analytic: a, numeric };
      }
    }
    tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
  });
  return { ok: maxRelError <= rtol, maxRelError, worst, checked };
}
