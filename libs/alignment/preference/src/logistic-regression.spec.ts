import { Rng } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { LogisticRegression } from './logistic-regression';

describe('LogisticRegression', () => {
  it('stays at p = ½ when the classes barely differ, even on nearly collinear features (no divergent steps)', () => {
    // Rank-3 features in 64 dimensions, like mean-token prompt embeddings of a trained LM. The second class is the
    // first plus tiny noise: the fit must find (almost) nothing, not blow the rounding noise up.
    const rng = new Rng(3);
    const d = 64;
    const dirs = Array.from({ length: 3 }, () => Array.from({ length: d }, () => rng.normal()));
    const x = Array.from({ length: 500 }, () => {
      const f = [rng.normal(), rng.normal(), rng.normal()];
      return Array.from(
        { length: d },
        (_, j) => f[0] * dirs[0][j] + f[1] * dirs[1][j] + f[2] * dirs[2][j] + 0.01 * rng.normal(),
      );
    });
    const y = x.map((r) => r.map((v) => v + 1e-6 * rng.normal()));
    const lr = LogisticRegression.fit([...x, ...y], [...x.map(() => 1), ...y.map(() => 0)]);
    const ps = x.map((r) => lr.probability(r));
    expect(Math.min(...ps)).toBeGreaterThan(0.45);
    expect(Math.max(...ps)).toBeLessThan(0.55);
  });
});
