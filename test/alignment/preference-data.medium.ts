import {
  loadHhRlhf,
  loadOasst2,
  loadTopicalChat,
  splitByIndex,
  unpairPreferences,
} from '@tessera/alignment/preference';
import { needsSharedData } from '@tessera/testing';
import { describe, expect, it } from 'vitest';

const hh = needsSharedData('alignment/hh-rlhf/harmless-base-test.jsonl.gz');
const oasst = needsSharedData('alignment/oasst2-subset/oasst2_filtered.jsonl');
const topical = needsSharedData('alignment/topical-chat/conversations/valid_freq.json');

describe.skipIf(hh.skip)(`HH-RLHF harmless-base test${hh.reason}`, () => {
  it('loads 2,312 pairs whose prompts end with the assistant cue; unpairs into 4,624 rows; splits 80/10/10', async () => {
    const { pairs, skipped } = await loadHhRlhf(hh.path);
    expect(skipped).toEqual([]);
    expect(pairs).toHaveLength(2312);
    expect(pairs.every((p) => p.prompt.endsWith('\n\nAssistant:') && p.chosen !== p.rejected)).toBe(true);
    expect(unpairPreferences(pairs)).toHaveLength(4624);
    const split = splitByIndex(pairs, 13);
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([1850, 231, 231]);
  });
});

describe.skipIf(oasst.skip)(`OASST2 subset${oasst.reason}`, () => {
  it('finds real thumbs and rank pairs (counts checked against an independent Python pass)', async () => {
    const all = await loadOasst2(oasst.path);
    expect(all.skipped).toEqual([]);
    expect(all.feedback.filter((f) => f.label)).toHaveLength(353);
    expect(all.feedback.filter((f) => !f.label)).toHaveLength(98);
    expect(all.pairs).toHaveLength(512);
    const en = await loadOasst2(oasst.path, { lang: 'en' });
    expect(en.feedback.length).toBeGreaterThan(0);
    expect(en.feedback.length).toBeLessThan(all.feedback.length);
  });
});

describe.skipIf(topical.skip)(`Topical-Chat valid_freq${topical.reason}`, () => {
  it('turn_rating → binary: 10,758 up (Excellent + Good) and 159 down (Not Good + Poor)', async () => {
    const { feedback, skipped } = await loadTopicalChat(topical.path);
    expect(feedback.filter((f) => f.label)).toHaveLength(5557 + 5201);
    expect(feedback.filter((f) => !f.label)).toHaveLength(108 + 51);
    expect(skipped).toEqual([]);
  });
});
