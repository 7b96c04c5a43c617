export * from './cold-start.config';
export * from './cold-start-model';
export * from './cold-start-batch';
export * from './cold-validation';
export * from './cold-start.trainer';
export * from './cold-start-model.io';
export * from './cold-start-training.run';
export * from './tessera-encoder.recommender';
