export const TRAIN_COLDSTART_JOB = 'train.coldstart';
export const EMBED_COLDSTART_JOB = 'embed.coldstart';

/** Readers use this alias; a finished embedding run switches it to its new collection. */
export const COLDSTART_ALIAS = 'coldstart';

export function coldStartCollection(version: string, runId: number): string {
  return `coldstart_${version}_${runId}`;
}

/** The model version a collection made by `coldStartCollection` holds, or undefined for another name. */
export function versionOfCollection(name: string): string | undefined {
  return /^coldstart_(.+)_\d+$/.exec(name)?.[1];
}

export interface TrainColdStartPayload {
  source: string;
  version?: string;
  epochs?: number;
  maxUsers?: number;
  /** Learn from stored images and video frames too (default true). */
  media?: boolean;
  userTower?: 'free' | 'history';
  /** Add the lexical channel beside the dense score. */
  lexical?: boolean;
}

export interface EmbedColdStartPayload {
  version?: string;
}
