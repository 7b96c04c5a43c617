import { describe, expect, it } from 'vitest';
import { Rng } from './rng';

describe('Rng', () => {
  it('repeats the same stream for the same seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('draws uniform numbers with the right mean and normals with unit variance', () => {
    const r = new Rng(7);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      const z = r.normal();
      sq += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sq / n).toBeCloseTo(1, 1);
  });

  it('shuffles into a permutation', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Rng(1).shuffle([...xs]);
    expect(shuffled).not.toEqual(xs);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(xs);
  });
});
