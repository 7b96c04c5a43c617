import { sha256 } from '@tessera/common';
import type { LmTokenizer } from './lm-tokenizer';

/**
 * UTF-8 bytes as tokens (0–255) plus PAD 256, BOS 257, EOS 258. Nothing to train and no unknown tokens:
 * the choice for tests and for runs without a trained subword vocabulary.
 */
export class ByteTokenizer implements LmTokenizer {
  readonly vocabSize = 259;
  readonly padId = 256;
  readonly bosId = 257;
  readonly eosId = 258;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  encode(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  async encodeBatch(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => this.encode(t));
  }

  /** Broken UTF-8 becomes U+FFFD rather than an error. */
  decodeSync(ids: readonly number[]): string {
    return this.decoder.decode(Uint8Array.from(ids.filter((id) => id >= 0 && id < 256)));
  }

  async decode(ids: readonly number[]): Promise<string> {
    return this.decodeSync(ids);
  }

  fingerprint(): string {
    return sha256('tessera-byte-tokenizer/1:pad=256,bos=257,eos=258').slice(0, 16);
  }

  describe(): { kind: string } {
    return { kind: 'byte' };
  }

  async save(): Promise<void> {}
}
