import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptDataError, InvalidInputError, NotFoundError, Rng } from '@tessera/common';
import { SPECIAL_TOKENS } from './special-tokens';
import { SubwordTokenizer } from './subword-tokenizer';

/** A few thousand seeded sentences: enough text for a few hundred merges, in well under a second. */
function corpus(n: number, seed = 7): string[] {
  const rng = new Rng(seed);
  const subj = ['the cat', 'a sailor', 'Popeye', 'the lecturer', 'Olive', 'an energetic dog', 'la ciudad', 'das Kino'];
  const verb = ['watches', 'explains', 'eats', 'recommends', 'climbs', 'describes', 'remembers'];
  const obj = ['the pendulum', 'spinach', 'mechanical energy', 'a new movie', 'the island', 'café crème', '日本の映画'];
  return Array.from(
    { length: n },
    (_, i) => `${subj[rng.int(subj.length)]} ${verb[rng.int(verb.length)]} ${obj[rng.int(obj.length)]} ${i % 50}.`,
  );
}

describe('SubwordTokenizer', () => {
  let tok: SubwordTokenizer;
  const texts = corpus(3000);
  beforeAll(async () => {
    tok = await SubwordTokenizer.train(texts, { vocabSize: 420, seed: 1 });
  });

  it('has the special tokens at fixed ids, [PAD] = 0, and the requested size', () => {
    expect(tok.vocabSize).toBe(420);
    SPECIAL_TOKENS.forEach((t, i) => expect(tok.tokenToId(t)).toBe(i));
    expect([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId, tok.bosId, tok.eosId]).toEqual([
      0, 1, 2, 3, 4, 5, 6,
    ]);
    expect(tok.vocabHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('round-trips text, including characters never seen in training (byte alphabet, no [UNK])', async () => {
    for (const text of [texts[0], 'Popeye eats spinach.', 'Ünïcödé → ✓ 🚀 Привет мир', 'tab\there  two  spaces']) {
      const { ids } = await tok.encode(text, { addSpecial: false });
      expect(ids).not.toContain(tok.unkId);
      expect(ids.every((id) => id >= SPECIAL_TOKENS.length && id < tok.vocabSize)).toBe(true);
      expect(await tok.decode(ids)).toBe(text.normalize('NFKC'));
    }
  });

  it('learns subwords: a training sentence takes far fewer tokens than bytes', async () => {
    const text = 'the lecturer explains mechanical energy';
    const { ids } = await tok.encode(text, { addSpecial: false });
    expect(ids.length).toBeLessThan(Buffer.byteLength(text) / 3);
  });

  it('adds [CLS]/[SEP] or [BOS]/[EOS], truncates to maxLength and pads with a mask', async () => {
    const text = 'a sailor climbs the island and remembers the pendulum';
    const full = await tok.encode(text);
    expect(full.ids[0]).toBe(tok.clsId);
    expect(full.ids[full.ids.length - 1]).toBe(tok.sepId);
    const cut = await tok.encode(text, { maxLength: 5 });
    expect(cut.ids).toEqual([tok.clsId, ...full.ids.slice(1, 4), tok.sepId]);
    const padded = await tok.encode('Olive', { maxLength: 8, padding: 'max', addSpecial: 'bos-eos' });
    expect(padded.ids[0]).toBe(tok.bosId);
    expect(padded.ids).toHaveLength(8);
    const real = padded.attentionMask.filter((m) => m === 1).length;
    expect(padded.ids[real - 1]).toBe(tok.eosId);
    expect(padded.ids.slice(real)).toEqual(Array(8 - real).fill(0));
    expect(await tok.decode(padded.ids)).toBe('Olive');
  });

  it('encodeBatch pads to the longest and matches encode', async () => {
    const batch = await tok.encodeBatch(['Popeye', 'the cat watches a new movie 3.']);
    expect(batch[0].ids).toHaveLength(batch[1].ids.length);
    const single = await tok.encode('Popeye');
    expect(batch[0].ids.slice(0, single.ids.length)).toEqual(single.ids);
    expect(batch[0].attentionMask.slice(single.ids.length).every((m) => m === 0)).toBe(true);
  });

  it('encodeBatchFlat gives row-major Int32Arrays padded to maxLength', async () => {
    const flat = await tok.encodeBatchFlat(['Popeye', 'the cat watches a new movie 3.'], { maxLength: 6 });
    expect([flat.batch, flat.length, flat.ids.length]).toEqual([2, 6, 12]);
    const rows = await tok.encodeBatch(['Popeye', 'the cat watches a new movie 3.'], { maxLength: 6, padding: 'max' });
    expect(Array.from(flat.ids)).toEqual([...rows[0].ids, ...rows[1].ids]);
    expect(Array.from(flat.attentionMask)).toEqual([...rows[0].attentionMask, ...rows[1].attentionMask]);
  });

  it('trains deterministically, and a smaller vocabulary is a prefix of a larger one', async () => {
    const again = await SubwordTokenizer.train(texts, { vocabSize: 420, seed: 1 });
    expect(again.vocabHash).toBe(tok.vocabHash);
    const small = await SubwordTokenizer.train(texts, { vocabSize: 300 });
    expect(small.vocabSize).toBe(300);
    const mergesOf = (t: SubwordTokenizer) =>
      (JSON.parse(t.toJSON()) as { model: { merges: string[][] } }).model.merges;
    expect(mergesOf(tok).slice(0, mergesOf(small).length)).toEqual(mergesOf(small));
  });

  it('saves and loads with identical ids, and refuses a changed file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-tok-')), 'tok');
    await tok.save(dir);
    const loaded = await SubwordTokenizer.load(dir);
    expect(loaded.vocabHash).toBe(tok.vocabHash);
    expect(loaded.meta).toEqual(tok.meta);
    for (const t of texts.slice(0, 20)) expect((await loaded.encode(t)).ids).toEqual((await tok.encode(t)).ids);
    const file = join(dir, 'tokenizer.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"[MASK]"', '"[MASQ]"'));
    await expect(SubwordTokenizer.load(dir)).rejects.toThrow(CorruptDataError);
    await expect(SubwordTokenizer.load(join(dir, 'missing'))).rejects.toThrow(NotFoundError);
  });

  it('stops at the merges the corpus supports when asked for more', async () => {
    const big = await SubwordTokenizer.train(texts, { vocabSize: 30_000 });
    expect(big.vocabSize).toBeGreaterThan(420);
    expect(big.vocabSize).toBeLessThan(30_000);
  });

  it('refuses bad arguments with InvalidInputError', async () => {
    await expect(SubwordTokenizer.train(texts, { vocabSize: 100 })).rejects.toThrow(InvalidInputError);
    await expect(SubwordTokenizer.train(['', '  '], { vocabSize: 400 })).rejects.toThrow(/no text/);
    await expect(tok.decode([tok.vocabSize])).rejects.toThrow(InvalidInputError);
    await expect(tok.encode('x', { maxLength: 1 })).rejects.toThrow(/maxLength must be/);
  });
});
