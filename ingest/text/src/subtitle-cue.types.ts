/** One caption or transcript span, times in seconds from the start of the media. */
export interface TextCue {
  /** Position in the source file (0-based), so messages can point at it. */
  index: number;
  /** The cue identifier line, when the file has one. */
  id?: string;
  startS: number;
  endS: number;
  /** Normalised text: tags and entities removed, NFKC, single spaces. */
  text: string;
  /** The text as written in the file. */
  rawText: string;
}

export type SubtitleFormat = 'srt' | 'vtt';
