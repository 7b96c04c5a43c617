export const TRAIN_COLDSTART_JOB = 'train.coldstart';
export const EMBED_COLDSTART_JOB = 'embed.coldstart';

/** Readers use this alias; a finished embedding run switches it to its new collection. */
export const COLDSTART_ALIAS = 'coldstart';

export function coldStartCollection(version: string, runId: number): string {
  return `coldstart_${version}_${runId}`;
}

export interface TrainColdStartPayload {
  source: string;
  version?: string;
  epochs?: number;
  maxUsers?: number;
}

export interface EmbedColdStartPayload {
  version?: string;
}
