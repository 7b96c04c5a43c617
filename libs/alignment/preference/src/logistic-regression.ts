import { CorruptDataError, DimensionMismatchError, InvalidInputError } from '@tessera/common';

export interface LogisticRegressionOptions {
  /** L2 strength on the weights (not the bias), per sample; default 1e-3. */
  l2?: number;
  /** Full-batch gradient steps; default 300. */
  iterations?: number;
  /** Step size on standardised features; default 0.5, capped at 4 / (max class weight · (d + 1)) for stability. */
  learningRate?: number;
  /** Weight each class by n / (2·n_class), like scikit-learn's class_weight='balanced'; default true. */
  balanced?: boolean;
}

export interface LogisticRegressionState {
  weights: number[];
  bias: number;
  featureMean: number[];
  featureScale: number[];
}

/**
 * Binary logistic regression in float64 plain JS (features standardised inside). Small: fitted once on
 * at most a few thousand prompt embeddings, so plain loops are fast enough and exactly repeatable.
 */
export class LogisticRegression {
  private constructor(private readonly state: LogisticRegressionState) {}

  get dim(): number {
    return this.state.weights.length;
  }

  static fit(
    x: readonly ArrayLike<number>[],
    y: readonly number[],
    options: LogisticRegressionOptions = {},
  ): LogisticRegression {
    const n = x.length;
    if (n === 0 || n !== y.length)
      throw new InvalidInputError(`logistic regression needs matching x and y (got ${n}, ${y.length})`);
    const d = x[0].length;
    const nPos = y.filter((v) => v === 1).length;
    const nNeg = n - nPos;
    if (nPos === 0 || nNeg === 0) throw new InvalidInputError('logistic regression needs both classes');
    const mean = new Array<number>(d).fill(0);
    const scale = new Array<number>(d).fill(0);
    for (const row of x) {
      if (row.length !== d)
        throw new DimensionMismatchError(`feature rows must all have ${d} values, got ${row.length}`);
      for (let j = 0; j < d; j++) mean[j] += row[j] / n;
    }
    for (const row of x) for (let j = 0; j < d; j++) scale[j] += (row[j] - mean[j]) ** 2 / n;
    for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]) || 1;
    const z = x.map((row) => Float64Array.from({ length: d }, (_, j) => (row[j] - mean[j]) / scale[j]));

    const balanced = options.balanced ?? true;
    const cw = balanced ? [n / (2 * nNeg), n / (2 * nPos)] : [1, 1];
    const l2 = options.l2 ?? 1e-3;
    // Gradient descent is stable only below 2 / λ_max of the Hessian, and λ_max ≤ ¼·max(cw)·(d + 1) on standardised
    // features (+1 for the bias). Nearly collinear features (mean-token embeddings of a trained LM) reach that bound,
    // and a fixed 0.5 then blows rounding noise up into confident nonsense; cap the step at half the limit.
    const lr = Math.min(options.learningRate ?? 0.5, 4 / (Math.max(cw[0], cw[1]) * (d + 1)));
    const w = new Float64Array(d);
    let b = 0;
    const gw = new Float64Array(d);
    for (let it = 0; it < (options.iterations ?? 300); it++) {
      gw.fill(0);
      let gb = 0;
      for (let i = 0; i < n; i++) {
        const zi = z[i];
        let s = b;
        for (let j = 0; j < d; j++) s += w[j] * zi[j];
        const g = cw[y[i]] * (sigmoid(s) - y[i]);
        gb += g;
        for (let j = 0; j < d; j++) gw[j] += g * zi[j];
      }
      for (let j = 0; j < d; j++) w[j] -= lr * (gw[j] / n + l2 * w[j]);
      b -= (lr * gb) / n;
    }
    return new LogisticRegression({ weights: Array.from(w), bias: b, featureMean: mean, featureScale: scale });
  }

  /** P(y = 1 | x). */
  probability(x: ArrayLike<number>): number {
    const { weights, bias, featureMean, featureScale } = this.state;
    if (x.length !== weights.length)
      throw new DimensionMismatchError(`expected ${weights.length} features, got ${x.length}`);
    let s = bias;
    for (let j = 0; j < weights.length; j++) s += (weights[j] * (x[j] - featureMean[j])) / featureScale[j];
    return sigmoid(s);
  }

  toJSON(): LogisticRegressionState {
    return structuredClone(this.state);
  }

  static fromJSON(json: unknown): LogisticRegression {
    const s = json as Partial<LogisticRegressionState> | null;
    const d = s?.weights?.length;
    if (!s || !d || typeof s.bias !== 'number' || s.featureMean?.length !== d || s.featureScale?.length !== d) {
      throw new CorruptDataError('logistic regression state is malformed');
    }
    return new LogisticRegression(structuredClone(s as LogisticRegressionState));
  }
}

function sigmoid(s: number): number {
  return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
}
