import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@tessera/common';
import { compileFilter } from './payload-filter';

const p = {
  city: 'Berlin',
  tags: ['a', 'b'],
  n: 5,
  deep: { lang: 'en', list: [{ k: 1 }, { k: 2 }] },
  none: null,
  empty: [],
};

describe('compileFilter', () => {
  const check = (filter: object, id: number | string = 1, payload: object = p) =>
    compileFilter(filter)!(id, payload as never);

  it('returns no predicate for no filter, and an always-true one for an empty filter', () => {
    expect(compileFilter(undefined)).toBeUndefined();
    expect(check({})).toBe(true);
  });

  it('matches values, any, except, ranges, arrays and dotted keys as Qdrant does', () => {
    expect(check({ must: [{ key: 'city', match: { value: 'Berlin' } }] })).toBe(true);
    expect(check({ must: [{ key: 'city', match: { value: 'berlin' } }] })).toBe(false);
    expect(check({ must: [{ key: 'tags', match: { value: 'b' } }] })).toBe(true);
    expect(check({ must: [{ key: 'tags', match: { any: ['x', 'a'] } }] })).toBe(true);
    expect(check({ must: [{ key: 'tags', match: { any: ['x', 'y'] } }] })).toBe(false);
    expect(check({ must: [{ key: 'city', match: { any: ['Paris', 'Berlin'] } }] })).toBe(true);
    expect(check({ must: [{ key: 'n', match: { any: [4, 6] } }] })).toBe(false);
    expect(check({ must: [{ key: 'missing', match: { any: ['a'] } }] })).toBe(false);
    expect(check({ must: [{ key: 'empty', match: { any: ['a'] } }] })).toBe(false);
    expect(check({ must: [{ key: 'deep.list[].k', match: { any: [9, 2] } }] })).toBe(true);
    expect(check({ must: [{ key: 'tags', match: { except: ['a'] } }] })).toBe(true);
    expect(check({ must: [{ key: 'tags', match: { except: ['a', 'b'] } }] })).toBe(false);
    expect(check({ must: [{ key: 'missing', match: { except: ['a'] } }] })).toBe(false);
    expect(check({ must: [{ key: 'n', range: { gt: 4, lte: 5 } }] })).toBe(true);
    expect(check({ must: [{ key: 'n', range: { gt: 5 } }] })).toBe(false);
    expect(check({ must: [{ key: 'deep.lang', match: { value: 'en' } }] })).toBe(true);
    expect(check({ must: [{ key: 'deep.list[].k', match: { value: 2 } }] })).toBe(true);
    expect(check({ must: [{ key: 'deep.list[].k', range: { gte: 3 } }] })).toBe(false);
    expect(check({ must: [{ key: 'n', match: { value: '5' } }] })).toBe(false);
  });

  it('combines must, should and must_not, nests filters, and checks ids', () => {
    expect(check({ should: [{ key: 'city', match: { value: 'Paris' } }, { has_id: [1] }] })).toBe(true);
    expect(check({ should: [{ key: 'city', match: { value: 'Paris' } }, { has_id: [2] }] })).toBe(false);
    expect(check({ must_not: [{ has_id: [1] }] })).toBe(false);
    expect(check({ must: [{ must_not: [{ key: 'city', match: { value: 'Paris' } }] }] })).toBe(true);
    expect(
      check({ must: { has_id: ['A1B2C3D4-0000-4000-8000-00000000000A'] } }, 'a1b2c3d4-0000-4000-8000-00000000000a'),
    ).toBe(true);
  });

  it('tells empty from null', () => {
    expect(check({ must: [{ is_empty: { key: 'empty' } }] })).toBe(true);
    expect(check({ must: [{ is_empty: { key: 'none' } }] })).toBe(true);
    expect(check({ must: [{ is_empty: { key: 'absent' } }] })).toBe(true);
    expect(check({ must: [{ is_empty: { key: 'tags' } }] })).toBe(false);
    expect(check({ must: [{ is_null: { key: 'none' } }] })).toBe(true);
    expect(check({ must: [{ is_null: { key: 'absent' } }] })).toBe(false);
  });

  it('refuses malformed filters with an error naming where', () => {
    const bad: [object, RegExp][] = [
      [{ must: [{ match: { value: 1 } }] }, /filter\.must\[0\] is not a known condition/],
      [{ must: [{ key: '', match: { value: 1 } }] }, /names no payload field/],
      [{ should: [{ key: 'n' }] }, /field 'n' has no match, range/],
      [{ must: [{ key: 'n', range: { gte: 'x' } }] }, /range\.gte for field 'n' must be a finite number/],
      [{ must: [{ key: 'n', match: { value: { a: 1 } } }] }, /value for field 'n'/],
      [{ filter: [] }, /filter\.filter is not a filter clause/],
      [{ must: [{ has_id: [-3] }] }, /has_id\[0\] -3/],
    ];
    for (const [f, msg] of bad) {
      expect(() => compileFilter(f as never)).toThrow(InvalidInputError);
      expect(() => compileFilter(f as never)).toThrow(msg);
    }
  });
});
