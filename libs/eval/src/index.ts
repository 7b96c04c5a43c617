export * from './top-k';
export * from './ranking-metrics';
export * from './ranking-evaluation';
export * from './seed-summary';
export * from './retrieval-metrics';
export * from './model-card';
