import type { BinaryFeedback, PreferencePair } from './preference-example.types';

/** Each (x, y_w, y_l) becomes (x, y_w, 👍) and (x, y_l, 👎), as TRL's `unpair_preference_dataset` does. */
export function unpairPreferences(pairs: readonly PreferencePair[]): BinaryFeedback[] {
  return pairs.flatMap((p) => [
    { id: `${p.id}/chosen`, prompt: p.prompt, completion: p.chosen, label: true, source: p.source },
    { id: `${p.id}/rejected`, prompt: p.prompt, completion: p.rejected, label: false, source: p.source },
  ]);
}

/** Likert score → thumbs: up iff score ≥ threshold (Tessera default 4 of 5). */
export function likertToBinary(score: number, threshold = 4): boolean {
  return score >= threshold;
}
