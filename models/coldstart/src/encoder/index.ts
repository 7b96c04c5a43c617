export * from './item-encoder.config';
export * from './item-tokens.types';
export * from './cold-start-item-encoder';
export * from './hashed-vocabulary';
export * from './item-content.tokenizer';
export * from './media-patch.tokenizer';
