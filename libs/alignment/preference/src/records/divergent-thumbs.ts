import { InvalidInputError, Rng } from '@tessera/common';
import type { BinaryFeedback, PreferencePair } from './preference-example.types';
import { unpairPreferences } from './unpair-preferences';

/**
 * UDM stress data (spec §10): thumbs whose prompts come from different distributions. Pairs are unpaired,
 * then thumbs-up rows are kept so that `majority` of them come from group A, and thumbs-down rows so that
 * `majority` of them come from group B (the minority side is subsampled with a fixed seed). With
 * `balanceLabels` (default true) the larger label side is then subsampled uniformly to the size of the
 * smaller one, so label balance does not confound the comparison (the group mix per label is kept).
 */
export function divergentThumbs(
  pairs: readonly PreferencePair[],
  isGroupA: (pair: PreferencePair) => boolean,
  options: { majority?: number; seed?: number; balanceLabels?: boolean } = {},
): BinaryFeedback[] {
  const majority = options.majority ?? 0.8;
  if (!(majority >= 0.5 && majority < 1)) throw new InvalidInputError(`majority must be in [0.5, 1), got ${majority}`);
  const rng = new Rng(options.seed ?? 0);
  const inA = new Set(pairs.filter(isGroupA).map((p) => p.id));
  const nA = inA.size;
  const nB = pairs.length - nA;
  if (nA === 0 || nB === 0) throw new InvalidInputError('both prompt groups need at least one pair');
  // Keep every majority-side row; keep minority-side rows with probability q so that
  // majority-side : minority-side = majority : (1 − majority).
  const odds = (1 - majority) / majority;
  const qUp = Math.min(1, (odds * nA) / nB);
  const qDown = Math.min(1, (odds * nB) / nA);
  const kept = unpairPreferences(pairs).filter((row) => {
    const a = inA.has(row.id.replace(/\/(chosen|rejected)$/, ''));
    if (row.label) return a || rng.next() < qUp;
    return !a || rng.next() < qDown;
  });
  if (options.balanceLabels === false) return kept;
  const up = kept.filter((r) => r.label);
  const down = kept.filter((r) => !r.label);
  const n = Math.min(up.length, down.length);
  const pick = (rows: BinaryFeedback[]) => new Set(rng.shuffle([...rows]).slice(0, n));
  const keep = new Set([...pick(up), ...pick(down)]);
  return kept.filter((r) => keep.has(r));
}
