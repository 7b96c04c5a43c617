import { SubwordTokenizer } from '@tessera/text';
import type { LmTokenizer } from './lm-tokenizer';

/** The shared `@tessera/text` BPE tokenizer seen through the LM's tokenizer interface. */
export class SubwordLmTokenizer implements LmTokenizer {
  constructor(readonly inner: SubwordTokenizer) {}

  get vocabSize(): number {
    return this.inner.vocabSize;
  }
  get padId(): number {
    return this.inner.padId;
  }
  get bosId(): number {
    return this.inner.bosId;
  }
  get eosId(): number {
    return this.inner.eosId;
  }

  static async train(
    texts: Iterable<string>,
    options: { vocabSize: number; seed?: number; maxTexts?: number },
  ): Promise<SubwordLmTokenizer> {
    return new SubwordLmTokenizer(await SubwordTokenizer.train(texts, options));
  }

  static async load(dir: string): Promise<SubwordLmTokenizer> {
    return new SubwordLmTokenizer(await SubwordTokenizer.load(dir));
  }

  async encodeBatch(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const enc = await this.inner.encodeBatch([...texts], { addSpecial: false, padding: 'none' });
    return enc.map((e) => Array.from(e.ids));
  }

  async decode(ids: readonly number[]): Promise<string> {
    return this.inner.decode(ids, { skipSpecial: true });
  }

  fingerprint(): string {
    return this.inner.vocabHash;
  }

  describe(): { kind: string; vocabSize: number } {
    return { kind: 'subword', vocabSize: this.vocabSize };
  }

  save(dir: string): Promise<void> {
    return this.inner.save(dir);
  }
}
