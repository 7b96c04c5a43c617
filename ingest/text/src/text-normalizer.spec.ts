import { describe, expect, it } from 'vitest';
import { decodeHtmlEntities, normalizeText } from './text-normalizer';

describe('normalizeText', () => {
  it('strips tags before decoding entities, so encoded markup survives as text', () => {
    expect(normalizeText('<i>use &lt;video&gt;</i> <a href="x">here</a>')).toBe('use <video> here');
  });

  it('applies NFKC, removes zero-width and control characters, collapses whitespace', () => {
    expect(normalizeText('ﬁne\u200b\u00a0 café\t\u0007x  \n ｙ①')).toBe('fine café x y1');
  });

  it('keeps non-Latin scripts and case', () => {
    expect(normalizeText('  日本語の テキスト  Привет ')).toBe('日本語の テキスト Привет');
  });

  it('keeps newlines when asked', () => {
    expect(normalizeText('a \r\n\r\n  b ', { keepNewlines: true })).toBe('a\nb');
  });

  it('decodes numeric references and leaves unknown names', () => {
    expect(decodeHtmlEntities('&#233;&#x1F600;&bogus;&#0;')).toBe('é😀&bogus;');
  });
});
