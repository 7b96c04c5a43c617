import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors';
import { assertModelVersion, resolveInside } from './paths';

describe('resolveInside', () => {
  it('keeps paths inside the root', () => {
    expect(resolveInside('/data', 'a/b.mp4')).toBe('/data/a/b.mp4');
    expect(resolveInside('/data', './a/../b')).toBe('/data/b');
  });

  it.each(['../etc/passwd', '/etc/passwd', 'a/../../x', 'a\0b'])('refuses %s', (p) => {
    expect(() => resolveInside('/data', p)).toThrow(InvalidInputError);
  });
});

describe('assertModelVersion', () => {
  it.each(['v1', 'ml-quick', 'job-abc.2', '2026_11_25'])('accepts %s', (v) => {
    expect(assertModelVersion(v)).toBe(v);
  });

  it.each(['', '.', '..', '.hidden', 'a/b', '../x', 'a\\b', 'x'.repeat(65), 'sp ace'])('refuses %j', (v) => {
    expect(() => assertModelVersion(v)).toThrow(InvalidInputError);
  });
});
