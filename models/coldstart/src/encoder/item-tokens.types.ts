/** One modality of one item as the encoder takes it (spec §4: `{tokens, kind}`). */
export type ModalityTokens =
  /** `lexicalTokens`: the same content under the lexical channel's own vocabulary, when it has one. */
  | { kind: 'ids'; tokens: ArrayLike<number>; lexicalTokens?: ArrayLike<number> }
  | { kind: 'dense'; tokens: Float32Array[] };

/** An item's raw content tokens by modality name; any subset of the configured modalities may be present. */
export interface ItemTokens {
  modalities: Record<string, ModalityTokens>;
}
