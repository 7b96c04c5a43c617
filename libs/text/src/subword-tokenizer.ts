import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { CorruptDataError, InvalidInputError, NotFoundError, projectRoot, Rng } from '@tessera/common';
import { Tokenizer, byteLevelAlphabet } from 'tokenizers';
import { SPECIAL_TOKENS, SPECIAL_TOKEN_IDS } from './special-tokens';

export interface TrainTokenizerOptions {
  /** Total size: special tokens + the 256-symbol byte alphabet + merges. At least 264. */
  vocabSize: number;
  /** Recorded in the metadata; picks the sample when `maxTexts` cuts the corpus. */
  seed?: number;
  /** Train on at most this many texts (a seeded sample). */
  maxTexts?: number;
}

export interface EncodeOptions {
  /** Cut to this many ids, special tokens included. */
  maxLength?: number;
  /** Wrap in [CLS] ... [SEP] (default), [BOS] ... [EOS], or nothing. */
  addSpecial?: boolean | 'cls-sep' | 'bos-eos';
  /** none (default for encode), max: pad to maxLength, longest (default for encodeBatch). */
  padding?: 'none' | 'max' | 'longest';
}

export interface EncodedText {
  ids: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
}

export interface TokenizerMeta {
  format: 'tessera-subword-tokenizer';
  version: 1;
  /** sha256 of tokenizer.json as written; models store it and refuse a different vocabulary. */
  vocabHash: string;
  vocabSize: number;
  specialTokens: Record<string, number>;
  seed: number;
  trainedOnTexts: number;
}

const TOKENIZER_FILE = 'tokenizer.json';
const META_FILE = 'tokenizer.meta.json';
const MIN_VOCAB = SPECIAL_TOKENS.length + 256 + 1;

// Run with `node -e <script> <tokenizers package> <corpus file> <output file>`.
const TRAIN_BPE_SCRIPT = `
const { BPE, Tokenizer, byteLevelPreTokenizer, nfkcNormalizer } = require(process.argv[1]);
const trainer = new Tokenizer(BPE.empty());
trainer.setNormalizer(nfkcNormalizer());
trainer.setPreTokenizer(byteLevelPreTokenizer(false, true));
trainer.train([process.argv[2]]);
trainer.save(process.argv[3]);
`;

/**
 * Trains byte-level BPE on a corpus file and saves the tokenizer JSON, in a short-lived child process whose
 * stdout is dropped. The Rust trainer always shows progress (the Node `train()` has no switch for it) and
 * ends each phase with a bare newline on stdout, which put blank lines into `tessera train lm` output, `--json`
 * included. The child's stderr is passed on; a failed training throws with the child's error line.
 */
async function trainBpeQuietly(corpus: string, out: string): Promise<void> {
  const tokenizersPath = createRequire(join(projectRoot(), 'package.json')).resolve('tokenizers');
  const child = spawn(process.execPath, ['-e', TRAIN_BPE_SCRIPT, tokenizersPath, corpus, out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  const text = Buffer.concat(stderr).toString('utf8');
  if (code !== 0) {
    // the child's stderr is a stack trace; its `Error: …` line says what went wrong
    const reason = /^\w*Error: .*$/m.exec(text)?.[0] ?? text.trim().split('\n').pop();
    throw new Error(`tokenizer training failed (${signal ?? `exit ${code}`}): ${reason || 'no message'}`);
  }
  if (text) process.stderr.write(text);
}

/**
 * The byte-level BPE tokenizer every Tessera model shares, on Hugging Face `tokenizers`.
 * Its JS `train()` takes no options (always 30,000 tokens, no special tokens), so we train,
 * then rebuild the model JSON ourselves: specials at fixed ids, the full byte alphabet (any
 * input encodes, no [UNK]), then the first merges in training order (a prefix of an ordered
 * BPE merge list is a valid smaller model).
 */
export class SubwordTokenizer {
  readonly padId = SPECIAL_TOKEN_IDS['[PAD]'];
  readonly unkId = SPECIAL_TOKEN_IDS['[UNK]'];
  readonly clsId = SPECIAL_TOKEN_IDS['[CLS]'];
  readonly sepId = SPECIAL_TOKEN_IDS['[SEP]'];
  readonly maskId = SPECIAL_TOKEN_IDS['[MASK]'];
  readonly bosId = SPECIAL_TOKEN_IDS['[BOS]'];
  readonly eosId = SPECIAL_TOKEN_IDS['[EOS]'];

  private constructor(
    private readonly native: Tokenizer,
    private readonly json: string,
    readonly meta: TokenizerMeta,
  ) {}

  get vocabSize(): number {
    return this.meta.vocabSize;
  }

  get vocabHash(): string {
    return this.meta.vocabHash;
  }

  static async train(texts: Iterable<string>, options: TrainTokenizerOptions): Promise<SubwordTokenizer> {
    if (!Number.isInteger(options.vocabSize) || options.vocabSize < MIN_VOCAB) {
      throw new InvalidInputError(
        `vocabSize must be an integer >= ${MIN_VOCAB} (specials + byte alphabet + 1), got ${options.vocabSize}`,
      );
    }
    const seed = options.seed ?? 0;
    let lines = Array.from(texts, (t) => t.replace(/[\r\n]+/g, ' ').trim()).filter(Boolean);
    if (lines.length === 0) throw new InvalidInputError('cannot train a tokenizer on no text');
    if (options.maxTexts !== undefined && lines.length > options.maxTexts) {
      lines = new Rng(seed).shuffle(lines).slice(0, options.maxTexts);
    }
    const dir = await mkdtemp(join(tmpdir(), 'tessera-tok-'));
    try {
      const corpus = join(dir, 'corpus.txt');
      await writeFile(corpus, lines.join('\n'));
      const trainedFile = join(dir, 'trained.json');
      await trainBpeQuietly(corpus, trainedFile);
      const trained = JSON.parse(await readFile(trainedFile, 'utf8')) as {
        model: { merges: ([string, string] | string)[] };
      };
      const json = buildTokenizerJson(trained.model.merges, options.vocabSize);
      return SubwordTokenizer.fromJson(json, { seed, trainedOnTexts: lines.length });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Reads a folder written by `save`, checking the vocabulary hash. */
  static async load(dir: string): Promise<SubwordTokenizer> {
    let json: string;
    let meta: TokenizerMeta;
    try {
      json = await readFile(join(dir, TOKENIZER_FILE), 'utf8');
      meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as TokenizerMeta;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`no tokenizer in ${dir}`, { dir }, { cause: e });
      throw new CorruptDataError(`tokenizer in ${dir} is unreadable: ${(e as Error).message}`, { dir }, { cause: e });
    }
    const hash = sha256(json);
    if (meta.vocabHash !== hash) {
      throw new CorruptDataError(
        `tokenizer in ${dir} does not match its recorded vocabHash (${meta.vocabHash} vs ${hash})`,
        { dir },
      );
    }
    return SubwordTokenizer.fromJson(json, { seed: meta.seed, trainedOnTexts: meta.trainedOnTexts });
  }

  private static fromJson(json: string, extra: { seed: number; trainedOnTexts: number }): SubwordTokenizer {
    let native: Tokenizer;
    try {
      native = Tokenizer.fromString(json);
    } catch (e) {
      throw new CorruptDataError(`tokenizer JSON rejected: ${(e as Error).message}`, {}, { cause: e });
    }
    const meta: TokenizerMeta = {
      format: 'tessera-subword-tokenizer',
      version: 1,
      vocabHash: sha256(json),
      vocabSize: native.getVocabSize(true),
      specialTokens: { ...SPECIAL_TOKEN_IDS },
      seed: extra.seed,
      trainedOnTexts: extra.trainedOnTexts,
    };
    return new SubwordTokenizer(native, json, meta);
  }

  /** Writes tokenizer.json (Hugging Face format) and tokenizer.meta.json; a temp folder then rename. */
  async save(dir: string): Promise<void> {
    await mkdir(dirname(dir), { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, TOKENIZER_FILE), this.json);
    await writeFile(join(tmp, META_FILE), `${JSON.stringify(this.meta, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }

  /** The Hugging Face tokenizer.json text (what a model checkpoint embeds or links to). */
  toJSON(): string {
    return this.json;
  }

  async encode(text: string, options: EncodeOptions = {}): Promise<EncodedText> {
    const enc = await this.native.encode(text);
    return this.finish(enc.getIds(), options, options.padding ?? 'none');
  }

  /** Encodes many texts at once (native, in parallel); padded to the longest unless told otherwise. */
  async encodeBatch(texts: string[], options: EncodeOptions = {}): Promise<EncodedText[]> {
    if (texts.length === 0) return [];
    const encs = await this.native.encodeBatch(texts);
    const padding = options.padding ?? 'longest';
    const out = encs.map((e) => this.finish(e.getIds(), options, padding === 'longest' ? 'none' : padding));
    if (padding === 'longest') {
      const longest = Math.max(...out.map((e) => e.ids.length));
      for (const e of out) pad(e, longest, this.padId);
    }
    return out;
  }

  /**
   * A batch as flat row-major Int32Arrays of shape [texts.length, maxLength], padded to maxLength:
   * what `tf.tensor2d(ids, [batch, length], 'int32')` takes without another copy.
   */
  async encodeBatchFlat(
    texts: string[],
    options: Omit<EncodeOptions, 'padding' | 'maxLength'> & { maxLength: number },
  ): Promise<{ ids: Int32Array; attentionMask: Int32Array; batch: number; length: number }> {
    const rows = await this.encodeBatch(texts, { ...options, padding: 'max' });
    const length = options.maxLength;
    const ids = new Int32Array(rows.length * length);
    const attentionMask = new Int32Array(rows.length * length);
    rows.forEach((r, i) => {
      ids.set(r.ids, i * length);
      attentionMask.set(r.attentionMask, i * length);
    });
    return { ids, attentionMask, batch: rows.length, length };
  }

  /** Text from ids; special tokens and padding are skipped unless `skipSpecial` is false. */
  async decode(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): Promise<string> {
    const list = Array.from(ids);
    for (const id of list) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
        throw new InvalidInputError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    }
    return this.native.decode(list, options.skipSpecial ?? true);
  }

  idToToken(id: number): string | undefined {
    return this.native.idToToken(id) ?? undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.native.tokenToId(token) ?? undefined;
  }

  private finish(content: number[], o: EncodeOptions, padding: 'none' | 'max' | 'longest'): EncodedText {
    const mode = o.addSpecial === false ? 'none' : o.addSpecial === 'bos-eos' ? 'bos-eos' : 'cls-sep';
    const [open, close] =
      mode === 'cls-sep' ? [this.clsId, this.sepId] : mode === 'bos-eos' ? [this.bosId, this.eosId] : [-1, -1];
    const extra = mode === 'none' ? 0 : 2;
    if (o.maxLength !== undefined && (!Number.isInteger(o.maxLength) || o.maxLength < extra + 1)) {
      throw new InvalidInputError(`maxLength must be an integer >= ${extra + 1}, got ${o.maxLength}`);
    }
    if (padding === 'max' && o.maxLength === undefined) throw new InvalidInputError('padding "max" needs maxLength');
    const body = o.maxLength !== undefined ? content.slice(0, o.maxLength - extra) : content;
    const ids = mode === 'none' ? body : [open, ...body, close];
    const e = { ids, attentionMask: ids.map(() => 1) };
    if (padding === 'max') pad(e, o.maxLength!, this.padId);
    return e;
  }
}

function pad(e: EncodedText, length: number, padId: number): void {
  while (e.ids.length < length) {
    e.ids.push(padId);
    e.attentionMask.push(0);
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Hugging Face tokenizer.json for specials + byte alphabet + the first merges. */
function buildTokenizerJson(merges: ([string, string] | string)[], vocabSize: number): string {
  const vocab: Record<string, number> = {};
  let next = 0;
  for (const t of SPECIAL_TOKENS) vocab[t] = next++;
  for (const ch of [...byteLevelAlphabet()].sort()) vocab[ch] = next++;
  const kept: [string, string][] = [];
  for (const m of merges) {
    if (next >= vocabSize) break;
    const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
    if (!(a in vocab) || !(b in vocab)) continue; // cannot happen for a prefix; guards a malformed list
    kept.push([a, b]);
    const merged = a + b;
    if (!(merged in vocab)) vocab[merged] = next++;
  }
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'NFKC' },
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '[UNK]',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: kept,
    },
  });
}
