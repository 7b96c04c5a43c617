export * from './platform.module';
export * from './ingest/ingest-jobs';
export * from './ingest/store-upload.usecase';
export * from './ingest/process-media.usecase';
export * from './ingest/ingest-folder.usecase';
export * from './datasets/import-dataset.usecase';
export * from './items/get-item.usecase';
