export * from './data';
export * from './baselines';
export * from './losses';
export * from './encoder';
export * from './training';
