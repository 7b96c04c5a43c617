/** Special tokens every Tessera model shares, with fixed ids: [PAD] is 0 so zero-filled buffers are padding. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[BOS]', '[EOS]'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];
export const SPECIAL_TOKEN_IDS: Readonly<Record<SpecialToken, number>> = Object.freeze(
  Object.fromEntries(SPECIAL_TOKENS.map((t, i) => [t, i])) as Record<SpecialToken, number>,
);
