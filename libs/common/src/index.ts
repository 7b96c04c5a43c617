export * from './errors';
export * from './rng';
export * from './hashing';
export * from './ids';
export * from './paths';
export * from './config';
export * from './config.module';
export * from './progress';
