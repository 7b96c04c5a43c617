export * from './lm-tokenizer';
export * from './byte-tokenizer';
export * from './transformer-lm.config';
export * from './transformer-lm';
export * from './generate-text';
export * from './lm-checkpoint';
export * from './sft.config';
export * from './sft-trainer';
