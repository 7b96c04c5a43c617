import { Rng } from '@tessera/common';
import type { SparseVector } from '@tessera/models/coldstart';
import { EmbeddedVectorStore } from '@tessera/vector-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hybridSearch, lexicalDot, lexicalFromPayload, lexicalPayload, profileWeights } from './lexical-search';

const rng = new Rng(7);
const dim = 8;
const n = 600;
const dense = Array.from({ length: n }, () => Array.from({ length: dim }, () => rng.next() - 0.5));
// Each item holds 3 of 400 keys; a few keys are rare, so some items match the profile only lexically.
const lexical: SparseVector[] = Array.from({ length: n }, () => {
  const keys = [...new Set(Array.from({ length: 3 }, () => Math.floor(rng.next() * 400)))].sort((a, b) => a - b);
  const values = keys.map(() => 0.2 + rng.next());
  const norm = Math.hypot(...values);
  return { indices: Int32Array.from(keys), values: Float32Array.from(values.map((v) => v / norm)) };
});
const profile: SparseVector = { indices: Int32Array.from([3, 17, 250]), values: Float32Array.from([0.9, 0.5, 0.3]) };
const user = Array.from({ length: dim }, () => rng.next() - 0.5);
const gamma = 4;
const store = new EmbeddedVectorStore();

beforeAll(async () => {
  await store.createCollection('items', { vectors: { size: dim, distance: 'Dot' } });
  await store.upsert(
    'items',
    dense.map((v, i) => ({ id: i + 1, vector: v, payload: { even: i % 2 === 0, ...lexicalPayload(lexical[i]) } })),
  );
});
afterAll(() => store.close());

/** The model's score over the whole catalogue, brute force. */
function exact(keep: (i: number) => boolean): { id: number; score: number }[] {
  return dense
    .map((v, i) => ({
      id: i + 1,
      score:
        v.reduce((a, x, k) => a + x * user[k], 0) +
        gamma * lexicalDot(profileWeights(profile), lexicalPayload(lexical[i])),
    }))
    .filter((p) => keep(p.id - 1))
    .sort((a, b) => b.score - a.score);
}

describe('hybridSearch (dense + γ·lexical, served from the vector store)', () => {
  it('returns the exact top of the full score on a real embedded store, pages and filters included', async () => {
    const want = exact(() => true);
    // Some of the exact top 10 are outside the dense top 10: the lexical candidates are needed.
    const denseTop = new Set((await store.search('items', { vector: user, limit: 10 })).map((p) => p.id));
    expect(want.slice(0, 10).some((p) => !denseTop.has(p.id))).toBe(true);

    const got = await hybridSearch(store, 'items', { vector: user, limit: 10, withPayload: true }, { profile, gamma });
    expect(got.map((p) => p.id)).toEqual(want.slice(0, 10).map((p) => p.id));
    got.forEach((p, r) => expect(p.score).toBeCloseTo(want[r].score, 4));

    const page2 = await hybridSearch(store, 'items', { vector: user, limit: 5, offset: 5 }, { profile, gamma });
    expect(page2.map((p) => p.id)).toEqual(want.slice(5, 10).map((p) => p.id));
    expect(page2[0].payload).toBeUndefined();

    const even = await hybridSearch(
      store,
      'items',
      { vector: user, limit: 10, filter: { must: [{ key: 'even', match: { value: true } }] }, exclude: [want[0].id] },
      { profile, gamma },
    );
    const wantEven = exact((i) => i % 2 === 0).filter((p) => p.id !== want[0].id);
    expect(even.map((p) => p.id)).toEqual(wantEven.slice(0, 10).map((p) => p.id));
  });

  it('reads a lexical vector back from a payload and ignores payloads without one', () => {
    const v = lexicalFromPayload(lexicalPayload(lexical[0]));
    expect(Array.from(v!.indices)).toEqual(Array.from(lexical[0].indices));
    expect(lexicalFromPayload({ lexKeys: [1, 2], lexValues: [0.5] })).toBeUndefined();
    expect(lexicalDot(profileWeights(profile), { title: 'no lexical vector' })).toBe(0);
  });
});
