export * from './text-normalizer';
export * from './subtitle-cue.types';
export * from './subtitle-parser';
export * from './transcript-parser';
export * from './caption-aligner';
