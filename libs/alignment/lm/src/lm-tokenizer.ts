/** What the LM needs from a tokenizer; the shared `@tessera/text` tokenizer can be adapted to it. */
export interface LmTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** Stable hash of the vocabulary: a checkpoint and its reference model must agree on it. */
  fingerprint(): string;
  /** Serialisable description, stored beside the weights (`tokenizer.json`). */
  toJSON(): { kind: string } & Record<string, unknown>;
}
