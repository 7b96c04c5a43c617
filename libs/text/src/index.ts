export * from './special-tokens';
export * from './subword-tokenizer';
