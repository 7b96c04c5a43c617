import { Rng } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import type { ItemTokens } from '../encoder';
import { dropTokens } from './cold-start.trainer';

describe('token dropout (training-time set regulariser)', () => {
  const item: ItemTokens = {
    modalities: {
      tags: { kind: 'ids', tokens: Array.from({ length: 1000 }, (_, i) => i + 1) },
      one: { kind: 'ids', tokens: [7] },
      withLexical: { kind: 'ids', tokens: [1, 2, 3, 4, 5, 6], lexicalTokens: [11, 12, 13, 14, 15, 16] },
      image: { kind: 'dense', tokens: [new Float32Array([1, 2])] },
    },
  };

  it('keeps about 1 − p of the id tokens, in order, and is repeatable for a seed', () => {
    const [a] = dropTokens([item], 0.3, new Rng(4));
    const kept = a.modalities.tags.tokens as number[];
    expect(kept.length).toBeGreaterThan(640);
    expect(kept.length).toBeLessThan(760);
    expect([...kept].sort((x, y) => x - y)).toEqual(kept);
    expect(dropTokens([item], 0.3, new Rng(4))[0]).toEqual(a);
  });

  it('never empties a modality and leaves single tokens, dense tokens and the input alone', () => {
    const [a] = dropTokens([item], 0.9, new Rng(1));
    expect((a.modalities.tags.tokens as number[]).length).toBeGreaterThanOrEqual(1);
    expect(a.modalities.one.tokens).toEqual([7]);
    expect(a.modalities.image).toBe(item.modalities.image);
    // The lexical channel's own ids stay whole: it reads every token when serving too.
    const lexical = a.modalities.withLexical;
    expect(lexical.kind === 'ids' && lexical.tokens.length).toBeLessThan(6);
    expect(lexical.kind === 'ids' && lexical.lexicalTokens).toEqual([11, 12, 13, 14, 15, 16]);
    expect((item.modalities.tags.tokens as number[]).length).toBe(1000);
  });
});
