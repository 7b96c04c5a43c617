import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors';
import { resolveInside } from './paths';

describe('resolveInside', () => {
  it('keeps paths inside the root', () => {
    expect(resolveInside('/data', 'a/b.mp4')).toBe('/data/a/b.mp4');
    expect(resolveInside('/data', './a/../b')).toBe('/data/b');
  });

  it.each(['../etc/passwd', '/etc/passwd', 'a/../../x', 'a\0b'])('refuses %s', (p) => {
    expect(() => resolveInside('/data', p)).toThrow(InvalidInputError);
  });
});
