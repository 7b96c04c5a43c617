export * from './cold-start.types';
export * from './positive-rule';
export * from './cold-split';
export * from './cold-start-data';
export * from './item-content.builder';
