export * from './bootstrap';
export * from './openapi';
export * from './app.module';
