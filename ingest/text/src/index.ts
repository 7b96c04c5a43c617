export * from './text-normalizer';
export * from './subtitle-cue.types';
export * from './subtitle-parser';
