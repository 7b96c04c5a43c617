import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@tessera/common';
import { decodeSubtitleBytes, parseSubtitles } from './subtitle-parser';

const FIX = resolve(__dirname, '../../../test/fixtures/video');

describe('parseSubtitles', () => {
  it('reads the Popeye SRT (BOM, italics) with exact times', () => {
    const { format, cues } = parseSubtitles(readFileSync(resolve(FIX, 'popeye/popeye-p2.eng.srt'), 'utf8'));
    expect(format).toBe('srt');
    expect(cues[0]).toMatchObject({ id: '1', startS: 0, endS: 2, text: '[laughing]' });
    expect(cues[1]).toMatchObject({
      startS: 4.124,
      endS: 8.824,
      text: "Who's the most phenominal Extra ordinary fellow?",
    });
    expect(cues[1].rawText).toContain('<i>');
  });

  it('repairs the MediaElement SRT: short timestamps, entities, a link, text after a blank line', () => {
    const { cues, notes } = parseSubtitles(readFileSync(resolve(FIX, 'mediaelement/mediaelement.srt'), 'utf8'));
    expect(cues).toHaveLength(15);
    expect(cues[0]).toMatchObject({ startS: 0.1, endS: 4 });
    expect(cues[0].text).toBe('HTML5 <video> and <audio> was supposed to be awesome, powerful, and fun.');
    expect(cues[1]).toMatchObject({ startS: 4, endS: 7 });
    const last = cues[14];
    expect(last).toMatchObject({ startS: 42, endS: 45 });
    expect(last.text).toBe('Hope you like it. Come follow me at twitter.com/johndyer');
    expect(notes).toEqual([expect.stringContaining('joined to cue 15')]);
  });

  it('reads WebVTT with a header, a note, cue settings and voice tags', () => {
    const vtt = [
      'WEBVTT - demo',
      '',
      'NOTE written by hand',
      '',
      'intro',
      '00:01.000 --> 00:02.500 align:start',
      '<v Roger>Hello &amp; welcome</v>',
      '',
      '00:00:03.000 --> 00:00:04.000',
      'line one',
      'line two',
      '',
    ].join('\r\n');
    const { format, cues } = parseSubtitles(vtt);
    expect(format).toBe('vtt');
    expect(cues).toEqual([
      expect.objectContaining({ id: 'intro', startS: 1, endS: 2.5, text: 'Hello & welcome' }),
      expect.objectContaining({ startS: 3, endS: 4, text: 'line one line two' }),
    ]);
  });

  it.each([
    ['arrow broken', '1\n00:00:01,000 -> 00:00:02,000\nhello\n', /cue 1 .*timing/],
    [
      'seconds over 59',
      '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:75,000 --> 00:00:76,000\nbad\n',
      /cue 2 .*impossible time/,
    ],
    [
      'garbage time',
      '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:0a:01,000 --> 00:00:02,000\nbad\n',
      /cue 2 \(id "2"\) has a broken timing line/,
    ],
    ['end before start', '7\n00:00:05,000 --> 00:00:02,000\nbackwards\n', /cue 1 \(id "7"\) ends .* before it starts/],
  ])('rejects %s with InvalidInputError naming the cue', (_name, srt, message) => {
    expect(() => parseSubtitles(srt, { source: 'bad.srt' })).toThrow(InvalidInputError);
    expect(() => parseSubtitles(srt, { source: 'bad.srt' })).toThrow(message);
  });

  it('skips a dangling cue number at the end of the file, with a note', () => {
    const { cues, notes } = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n\n\n');
    expect(cues.map((c) => c.text)).toEqual(['hello']);
    expect(notes).toEqual(['block 2 holds only a cue number at the end of the file; skipped']);
  });

  it('keeps a literal arrow inside cue text', () => {
    const { cues } = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nA --> B\n');
    expect(cues[0].text).toBe('A --> B');
  });
});

describe('decodeSubtitleBytes and the Spanish MediaElement SRT', () => {
  it('reads UTF-8 with and without BOM, UTF-16 with BOM, and falls back to Windows-1252', () => {
    expect(decodeSubtitleBytes(Buffer.from('\ufeffvídeo', 'utf8'))).toEqual({ text: 'vídeo', encoding: 'utf-8' });
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('señal', 'utf16le')]))).toEqual({
      text: 'señal',
      encoding: 'utf-16le',
    });
    expect(decodeSubtitleBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x9f]))).toEqual({
      text: 'café €Ÿ',
      encoding: 'windows-1252',
    });
  });

  it('repairs machine-split entities ("& lt;") and keeps accents', () => {
    const { text } = decodeSubtitleBytes(readFileSync(resolve(FIX, 'mediaelement/mediaelement_es.srt')));
    const { cues } = parseSubtitles(text);
    expect(cues).toHaveLength(15);
    expect(cues[0].text).toBe(
      'HTML5 < de vídeo > y < audio > se suponía que iba a ser impresionante, potente y divertido.',
    );
    expect(cues[1].text).toBe('Pero los proveedores de navegadores no podían ponerse de acuerdo sobre un códec');
  });
});
