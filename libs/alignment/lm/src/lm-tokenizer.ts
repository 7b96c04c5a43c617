/**
 * What the LM needs from a tokenizer. Async because the shared `@tessera/text` tokenizer runs its native
 * binding off the main thread; the byte tokenizer simply resolves at once.
 */
export interface LmTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Ids of the text without any special tokens. */
  encodeBatch(texts: readonly string[]): Promise<number[][]>;
  /** Text of the ids; special ids are dropped. */
  decode(ids: readonly number[]): Promise<string>;
  /** Stable hash of the vocabulary: a checkpoint and its reference model must agree on it. */
  fingerprint(): string;
  /** Description stored in the checkpoint's meta.json; `kind` selects the loader. */
  describe(): { kind: string } & Record<string, unknown>;
  /** Writes whatever the tokenizer needs to be rebuilt into `dir` (nothing for the byte tokenizer). */
  save(dir: string): Promise<void>;
}
