import * as tf from '@tensorflow/tfjs';
import { cpus } from 'node:os';
import { Rng } from '@tessera/common';
import {
  ColdStartItemEncoder,
  ItemContentTokenizer,
  LexicalChannel,
  meanSparse,
  TfIdfVectorizer,
  type ItemContent,
  type ItemTokens,
  type SparseVector,
} from '@tessera/models/coldstart';
import { initTensorBackend, ParamStore } from '@tessera/tensor';
import { EmbeddedVectorStore } from '@tessera/vector-store';
import { hybridSearch, lexicalPayload } from '../../apps/platform/src/coldstart/lexical-search';

export interface ColdStartBenchOptions {
  items?: number;
  queries?: number;
  log?: (line: string) => void;
}

const BATCH = 64;
const D = 64;
const PATCHES = 16;
const PATCH_DIM = 48;

/** A deterministic synthetic catalogue: titles and ~40-word plots over a 5,000-word vocabulary. */
function catalogue(n: number, rng: Rng): Map<number, ItemContent> {
  const words = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  const pick = (k: number) =>
    Array.from({ length: k }, () => words[Math.floor(rng.next() ** 2 * words.length)]).join(' ');
  return new Map(
    Array.from({ length: n }, (_, i) => [i, { itemId: i, fields: { title: pick(4), overview: pick(40) } }]),
  );
}

function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000 * 10) / 10;
}

function sparseDot(a: SparseVector, b: Map<number, number>): number {
  let s = 0;
  for (let i = 0; i < a.indices.length; i++) s += a.values[i] * (b.get(a.indices[i]) ?? 0);
  return s;
}

/**
 * Serving speed of the cold-start path at 10k items, each beside the TF-IDF content baseline in the
 * same run: items embedded per second (batches of 64; text only, and text + 16 image-patch tokens),
 * and recommendation requests per second (vector-store search, and with a lexical model's hybrid search, vs
 * scoring every item's TF-IDF vector).
 */
export async function runColdStartBench(opts: ColdStartBenchOptions = {}): Promise<object> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const n = opts.items ?? 10_000;
  const queries = opts.queries ?? 200;
  await initTensorBackend('wasm');
  const rng = new Rng(7);
  const contents = catalogue(n, rng);
  const ids = [...contents.keys()];

  const tokenizer = new ItemContentTokenizer([{ name: 'text', fields: ['title', 'overview'], maxLength: 64 }]);
  const textSpec = tokenizer.modalitySpecs();
  const textEncoder = new ColdStartItemEncoder({ modalities: textSpec, dModel: D, numHeads: 4 });
  const mmEncoder = new ColdStartItemEncoder({
    modalities: [...textSpec, { name: 'image', kind: 'dense', inputDim: PATCH_DIM, maxLength: PATCHES }],
    dModel: D,
    numHeads: 4,
  });

  log(`[coldstart] embedding ${n} items, text only`);
  let t0 = performance.now();
  const tokens: ItemTokens[] = ids.map((id) => tokenizer.tokenize(contents.get(id)!));
  const vectors = await textEncoder.encodeItems(tokens, BATCH);
  const textMs = performance.now() - t0;

  const mmCount = Math.min(n, 2048);
  log(`[coldstart] embedding ${mmCount} items, text + image patches`);
  const withImages = tokens.slice(0, mmCount).map((t) => ({
    modalities: {
      ...t.modalities,
      image: {
        kind: 'dense' as const,
        tokens: Array.from({ length: PATCHES }, () => Float32Array.from({ length: PATCH_DIM }, () => rng.next())),
      },
    },
  }));
  t0 = performance.now();
  await mmEncoder.encodeItems(withImages, BATCH);
  const mmMs = performance.now() - t0;

  log('[coldstart] TF-IDF baseline: vectorising the same items');
  t0 = performance.now();
  const tfidf = new TfIdfVectorizer().fit(ids, contents);
  const rows = ids.map((id) => tfidf.vector(id));
  const tfidfMs = performance.now() - t0;

  log(`[coldstart] recommendation requests at ${n} items`);
  const store = new EmbeddedVectorStore();
  await store.createCollection('bench', { vectors: { size: D, distance: 'Dot' } });
  for (let i = 0; i < n; i += 1000)
    await store.upsert(
      'bench',
      vectors.slice(i, i + 1000).map((v, j) => ({ id: i + j, vector: v, payload: { warm: (i + j) % 2 === 0 } })),
    );
  const users = Array.from({ length: queries }, () => ids.filter(() => rng.next() < 20 / n));
  t0 = performance.now();
  for (const liked of users) {
    // a session user: the mean of liked item vectors, seen items excluded
    const q = new Float32Array(D);
    for (const id of liked) vectors[id].forEach((x, k) => (q[k] += x / Math.max(1, liked.length)));
    await store.search('bench', { vector: q, limit: 20, exclude: liked });
  }
  const vectorMs = performance.now() - t0;

  // A model with the lexical channel: sparse vectors in the payload, the union of two windows re-scored.
  const lexical = new LexicalChannel(new ParamStore(), textSpec, 'idf');
  lexical.initFromItems(tokens);
  const sparse = await lexical.itemVectors(tokens);
  await store.createCollection('bench-lex', { vectors: { size: D, distance: 'Dot' } });
  for (let i = 0; i < n; i += 1000)
    await store.upsert(
      'bench-lex',
      vectors.slice(i, i + 1000).map((v, j) => ({ id: i + j, vector: v, payload: lexicalPayload(sparse[i + j]) })),
    );
  const gamma = await lexical.scale();
  t0 = performance.now();
  for (const liked of users) {
    const q = new Float32Array(D);
    for (const id of liked) vectors[id].forEach((x, k) => (q[k] += x / Math.max(1, liked.length)));
    const profile = meanSparse(liked.map((id) => sparse[id]));
    await hybridSearch(store, 'bench-lex', { vector: q, limit: 20, exclude: liked }, { profile, gamma });
  }
  const lexicalMs = performance.now() - t0;

  t0 = performance.now();
  for (const liked of users) {
    const profile = new Map<number, number>();
    for (const id of liked)
      rows[id].indices.forEach((t, k) => profile.set(t, (profile.get(t) ?? 0) + rows[id].values[k] / liked.length));
    const seen = new Set(liked);
    const scored = rows.map((r, i) => ({ i, s: seen.has(i) ? -Infinity : sparseDot(r, profile) }));
    scored.sort((a, b) => b.s - a.s).slice(0, 20);
  }
  const tfidfRecMs = performance.now() - t0;
  await store.close();
  tf.disposeVariables();

  const result = {
    bench: 'coldstart',
    items: n,
    batch: BATCH,
    dModel: D,
    backend: tf.getBackend(),
    itemsEmbeddedPerSecond: {
      textOnly: perSecond(n, textMs),
      textAndImage: perSecond(mmCount, mmMs),
      tfidfBaseline: perSecond(n, tfidfMs),
    },
    recommendationsPerSecond: {
      vectorStore: perSecond(queries, vectorMs),
      vectorStoreWithLexical: perSecond(queries, lexicalMs),
      tfidfBaseline: perSecond(queries, tfidfRecMs),
    },
    ratios: {
      embedTextVsTfidf: Math.round((tfidfMs / n / (textMs / n)) * 1000) / 1000,
      recommendVsTfidf: Math.round((tfidfRecMs / vectorMs) * 100) / 100,
      recommendWithLexicalVsTfidf: Math.round((tfidfRecMs / lexicalMs) * 100) / 100,
    },
    node: process.version,
    cpus: cpus().length,
  };
  return result;
}
