export * from './bootstrap-worker';
export * from './worker.module';
export * from './worker-processors.module';
