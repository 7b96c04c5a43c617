import { describe, expect, it } from 'vitest';
import { looksLikeMediaContainer } from './container-sniffer';

describe('looksLikeMediaContainer', () => {
  it('knows the common container signatures', () => {
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypisom')]);
    const mkv = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01]);
    const ts = Buffer.alloc(400);
    ts[0] = 0x47;
    ts[188] = 0x47;
    for (const head of [mp4, mkv, Buffer.from('RIFF....AVI '), Buffer.from('OggS\0'), Buffer.from('FLV\x01'), ts]) {
      expect(looksLikeMediaContainer(head)).toBe(true);
    }
  });

  it('says no to text, JSON and empty input', () => {
    for (const head of [Buffer.from('These are meeting notes'), Buffer.from('{"a":1}'), Buffer.alloc(0)]) {
      expect(looksLikeMediaContainer(head)).toBe(false);
    }
  });
});
