export * from './image.types';
export * from './sharp-image.repository';
