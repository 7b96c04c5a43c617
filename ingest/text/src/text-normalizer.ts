const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  copy: '©',
  reg: '®',
  trade: '™',
  laquo: '«',
  raquo: '»',
};

export interface NormalizeTextOptions {
  /** Remove `<tag>` markup (subtitle italics, links). Default true. */
  stripTags?: boolean;
  /** Keep line breaks (collapsed to one `\n`) instead of joining lines with a space. Default false. */
  keepNewlines?: boolean;
}

/** Decode HTML character references: named (a common set), decimal and hex. Unknown names stay as written. */
export function decodeHtmlEntities(s: string): string {
  // Machine-translated captions split the common references ("& lt;" in the MediaElement Spanish SRT).
  const joined = s.replace(/&\s+(lt|gt|amp|quot|apos|nbsp);/gi, '&$1;');
  return joined.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '';
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/**
 * Language-agnostic text clean-up for captions, transcripts and item text: markup out,
 * entities decoded (after the tags, so an encoded `&lt;video&gt;` stays as text), Unicode NFKC,
 * control and zero-width characters removed, whitespace collapsed. No case folding, no ASCII folding.
 */
export function normalizeText(input: string, options: NormalizeTextOptions = {}): string {
  let s = input;
  if (options.stripTags ?? true) {
    // Subtitle markup: <i>, <b>, <font ...>, <a href=...>, WebVTT <c.class>, <v Speaker>, <00:01.000> and SSA {\an8}.
    s = s.replace(/<\/?[a-z][^<>]*>|<\d{1,2}:\d{2}[:.\d]*>|\{\\[^{}]*\}/gi, '');
  }
  s = decodeHtmlEntities(s).normalize('NFKC');
  // Zero-width and bidi controls, then every other control character except line breaks and tabs.
  s = s.replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g, '');
  // \p{Cc} is every C0/C1 control; tabs and line breaks are whitespace and handled below.
  s = s
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]/g, ' ')
    .replace(/\p{Cc}/gu, (c) => (c === '\n' ? c : ' '));
  if (options.keepNewlines) {
    return s
      .split('\n')
      .map((l) => l.replace(/\s+/g, ' ').trim())
      .filter(Boolean)
      .join('\n');
  }
  return s.replace(/\s+/g, ' ').trim();
}
