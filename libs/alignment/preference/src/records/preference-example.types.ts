/** A paired preference: one prompt, a preferred (chosen) and a dispreferred (rejected) completion. */
export interface PreferencePair {
  id: string;
  /** Dialogue so far, ending with the assistant cue (`\n\nAssistant:`). */
  prompt: string;
  chosen: string;
  rejected: string;
  source: string;
}

/** Unpaired binary feedback (TRL's unpaired row): a thumbs-up (true) or thumbs-down (false). */
export interface BinaryFeedback {
  id: string;
  prompt: string;
  completion: string;
  label: boolean;
  source: string;
}

/** A row a loader skipped, with where and why; loading goes on past it. */
export interface SkippedRow {
  where: string;
  reason: string;
}
