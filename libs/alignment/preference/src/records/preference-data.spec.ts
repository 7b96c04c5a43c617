import { InvalidInputError } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { splitByIndex } from './dataset-split';
import { divergentThumbs } from './divergent-thumbs';
import { parseHhRlhf, splitHhTranscript } from './hh-rlhf.parser';
import { parseOasst2 } from './oasst2.parser';
import { parseTopicalChat } from './topical-chat.parser';
import { likertToBinary, unpairPreferences } from './unpair-preferences';

describe('splitHhTranscript', () => {
  it('cuts after the last shared "\\n\\nAssistant:", even when the answers share their first words', () => {
    const prefix = '\n\nHuman: hi\n\nAssistant: hello\n\nHuman: tell me a joke\n\nAssistant:';
    const s = splitHhTranscript(`${prefix} I know one.`, `${prefix} I refuse.`);
    expect(s).toEqual({ prompt: prefix, chosen: ' I know one.', rejected: ' I refuse.' });
  });

  it('refuses a pair with no shared assistant cue', () => {
    expect(() => splitHhTranscript('\n\nHuman: a', '\n\nHuman: b')).toThrow(InvalidInputError);
  });
});

describe('parseHhRlhf', () => {
  it('goes on past bad lines and reports them with line numbers', () => {
    const good = JSON.stringify({
      chosen: '\n\nHuman: q\n\nAssistant: yes',
      rejected: '\n\nHuman: q\n\nAssistant: no',
    });
    const text = [
      good,
      '{not json',
      JSON.stringify({ chosen: 1 }),
      JSON.stringify({ chosen: 'x', rejected: 'x' }),
      good,
    ].join('\n');
    const { pairs, skipped } = parseHhRlhf(text);
    expect(pairs.map((p) => p.chosen)).toEqual([' yes', ' yes']);
    expect(skipped.map((s) => s.where)).toEqual(['hh-rlhf:2', 'hh-rlhf:3', 'hh-rlhf:4']);
  });
});

describe('unpairPreferences / likertToBinary', () => {
  it('chosen → 👍 and rejected → 👎 with the same prompt', () => {
    const rows = unpairPreferences([{ id: 'a', prompt: 'P', chosen: 'C', rejected: 'R', source: 's' }]);
    expect(rows.map((r) => [r.prompt, r.completion, r.label])).toEqual([
      ['P', 'C', true],
      ['P', 'R', false],
    ]);
  });
  it('Likert ≥ 4 of 5 is thumbs-up', () => {
    expect([1, 2, 3, 4, 5].map((s) => likertToBinary(s))).toEqual([false, false, false, true, true]);
  });
});

describe('splitByIndex', () => {
  it('is a fixed-seed 80/10/10 partition', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const a = splitByIndex(items, 42);
    const b = splitByIndex(items, 42);
    expect(a).toEqual(b);
    expect([a.train.length, a.validation.length, a.test.length]).toEqual([80, 10, 10]);
    expect([...a.train, ...a.validation, ...a.test].sort((x, y) => x - y)).toEqual(items);
    expect(splitByIndex(items, 43).train).not.toEqual(a.train);
    expect(() => splitByIndex(items, 1, [0.5, 0.5, 0.5])).toThrow(InvalidInputError);
  });
});

describe('parseOasst2', () => {
  const msg = (id: string, role: string, text: string, extra: object = {}, replies: object[] = []) => ({
    message_id: id,
    role,
    text,
    lang: 'en',
    deleted: false,
    rank: null,
    emojis: null,
    replies,
    ...extra,
  });
  const tree = {
    prompt: msg('p', 'prompter', 'Why?', {}, [
      msg('a1', 'assistant', 'Because.', { rank: 1, emojis: { '+1': 1, '-1': 3 } }),
      msg('a0', 'assistant', 'Here is why.', { rank: 0, emojis: { '+1': 2 } }),
      msg('a2', 'assistant', 'Tie.', { rank: 2, emojis: { '+1': 1, '-1': 1 } }),
      msg('a3', 'assistant', 'Gone.', { deleted: true, rank: 3, emojis: { '+1': 9 } }),
      msg('a4', 'assistant', 'Otra.', { lang: 'es', emojis: { '+1': 1 } }),
    ]),
  };

  it('thumbs from emoji counts (ties dropped), pairs from sibling ranks, deleted and other languages left out', () => {
    const data = parseOasst2(`${JSON.stringify(tree)}\nnot json\n`, { lang: 'en' });
    expect(data.feedback.map((f) => [f.completion, f.label])).toEqual([
      [' Because.', false],
      [' Here is why.', true],
    ]);
    expect(data.feedback[0].prompt).toBe('\n\nHuman: Why?\n\nAssistant:');
    expect(data.pairs.map((p) => [p.chosen, p.rejected])).toEqual([
      [' Here is why.', ' Because.'],
      [' Here is why.', ' Tie.'],
      [' Because.', ' Tie.'],
    ]);
    expect(data.skipped).toHaveLength(1);
  });
});

describe('parseTopicalChat', () => {
  it('Excellent/Good → 👍, Not Good/Poor → 👎, Passable dropped; the rated speaker is the Assistant', () => {
    const json = {
      c1: {
        content: [
          { message: 'hi', agent: 'agent_1', turn_rating: 'Passable' },
          { message: 'hello there', agent: 'agent_2', turn_rating: 'Excellent' },
          { message: 'ok', agent: 'agent_1', turn_rating: 'Poor' },
          { message: '', agent: 'agent_2', turn_rating: 'Good' },
        ],
      },
      broken: {},
    };
    const { feedback, skipped } = parseTopicalChat(json, { historyTurns: 1 });
    expect(feedback.map((f) => [f.prompt, f.completion, f.label])).toEqual([
      ['\n\nHuman: hi\n\nAssistant:', ' hello there', true],
      ['\n\nHuman: hello there\n\nAssistant:', ' ok', false],
    ]);
    expect(skipped.map((s) => s.reason)).toEqual([
      'rated turn has no message text',
      'conversation has no content list',
    ]);
  });
});

describe('divergentThumbs (UDM stress data)', () => {
  it('takes about 80% of thumbs-up rows from group A and 80% of thumbs-down rows from group B', () => {
    const pairs = Array.from({ length: 2000 }, (_, i) => ({
      id: `p${i}`,
      prompt: i % 2 ? 'A' : 'B',
      chosen: 'c',
      rejected: 'r',
      source: 't',
    }));
    const rows = divergentThumbs(pairs, (p) => p.prompt === 'A', { majority: 0.8, seed: 1 });
    const up = rows.filter((r) => r.label);
    const down = rows.filter((r) => !r.label);
    expect(up.filter((r) => r.prompt === 'A').length / up.length).toBeCloseTo(0.8, 1);
    expect(down.filter((r) => r.prompt === 'B').length / down.length).toBeCloseTo(0.8, 1);
    expect(() => divergentThumbs(pairs, () => true)).toThrow(InvalidInputError);
  });

  it('balances labels by default even when the groups differ in size', () => {
    const pairs = Array.from({ length: 2000 }, (_, i) => ({
      id: `p${i}`,
      prompt: i % 4 === 0 ? 'A' : 'B',
      chosen: 'c',
      rejected: 'r',
      source: 't',
    }));
    const rows = divergentThumbs(pairs, (p) => p.prompt === 'A', { seed: 2 });
    const up = rows.filter((r) => r.label);
    const down = rows.filter((r) => !r.label);
    expect(up.length).toBe(down.length);
    expect(up.filter((r) => r.prompt === 'A').length / up.length).toBeCloseTo(0.8, 1);
    expect(down.filter((r) => r.prompt === 'B').length / down.length).toBeCloseTo(0.8, 1);
    const raw = divergentThumbs(pairs, (p) => p.prompt === 'A', { seed: 2, balanceLabels: false });
    expect(raw.filter((r) => !r.label).length).toBeGreaterThan(raw.filter((r) => r.label).length);
  });
});
