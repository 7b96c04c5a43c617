export * from './shared-data';
export * from './media-fixtures';
