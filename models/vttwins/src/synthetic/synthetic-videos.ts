import { InvalidInputError, Rng } from '@tessera/common';
import type { VttwinsBatch } from '../training/vttwins-trainer';

/*
 * Synthetic narrated videos with a known alignment. Each video shows `clipsPerVideo` distinct concepts
 * in order (a visual pattern and a concept word each) under a topic (a visual tint and a topic word; a
 * single topic by default, since distinct topics let a sequence loss match videos by topic alone).
 * Its narration is weakly aligned, as ASR captions are: it lags the clips by a per-video shift of
 * 0..maxShift, some clips are never described (missing), and some caption slots say nothing about any
 * clip (irrelevant: topic word and filler words only).
 */

export interface SyntheticVideoOptions {
  concepts: number;
  topics: number;
  fillerWords: number;
  clipsPerVideo: number;
  frames: number;
  height: number;
  width: number;
  channels: number;
  maxWords: number;
  /** Narration lags the clips by 0..maxShift positions (uniform per video). */
  maxShift: number;
  /** Probability that a clip is never described. */
  pMissing: number;
  /** Probability that a caption slot is replaced by an irrelevant caption. */
  pIrrelevant: number;
  /** Standard deviation of the per-pixel noise. */
  pixelNoise: number;
}

export const DEFAULT_SYNTHETIC_VIDEO_OPTIONS: Readonly<SyntheticVideoOptions> = Object.freeze({
  concepts: 48,
  topics: 1,
  fillerWords: 24,
  clipsPerVideo: 8,
  frames: 4,
  height: 8,
  width: 8,
  channels: 3,
  maxWords: 6,
  maxShift: 2,
  pMissing: 0.2,
  pIrrelevant: 0.25,
  pixelNoise: 0.15,
});

export interface SyntheticVideo {
  topic: number;
  /** Concept shown by each clip. */
  concepts: number[];
  /** clipsPerVideo × frames × height × width × channels, in [0, 1]. */
  frames: Float32Array;
  /** clipsPerVideo × maxWords token ids (0 = padding). */
  tokens: Int32Array;
  /** For each caption slot, the clip it describes, or −1 for an irrelevant caption. */
  target: number[];
  shift: number;
}

/** A fixed world of visual patterns and words (seeded), from which videos are drawn. */
export class SyntheticVideoWorld {
  readonly options: SyntheticVideoOptions;
  private readonly conceptImages: Float32Array[];
  private readonly topicImages: Float32Array[];

  constructor(options: Partial<SyntheticVideoOptions> = {}, seed = 0) {
    const o = { ...DEFAULT_SYNTHETIC_VIDEO_OPTIONS, ...options };
    if (o.concepts < o.clipsPerVideo)
      throw new InvalidInputError(`need at least ${o.clipsPerVideo} concepts, got ${o.concepts}`);
    if (o.maxWords < 3) throw new InvalidInputError('maxWords must be at least 3');
    if (o.maxShift >= o.clipsPerVideo) throw new InvalidInputError('maxShift must be below clipsPerVideo');
    this.options = o;
    const rng = new Rng(seed);
    const size = o.height * o.width * o.channels;
    const image = (): Float32Array => Float32Array.from({ length: size }, () => rng.next());
    this.conceptImages = Array.from({ length: o.concepts }, image);
    this.topicImages = Array.from({ length: o.topics }, image);
  }

  /** Token ids: 0 pad, then concept words, topic words, filler words. */
  get vocabSize(): number {
    const o = this.options;
    return 1 + o.concepts + o.topics + o.fillerWords;
  }

  conceptWord(c: number): number {
    return 1 + c;
  }

  topicWord(t: number): number {
    return 1 + this.options.concepts + t;
  }

  fillerWord(f: number): number {
    return 1 + this.options.concepts + this.options.topics + f;
  }

  video(rng: Rng, topic = rng.int(this.options.topics), concepts?: number[]): SyntheticVideo {
    const o = this.options;
    const n = o.clipsPerVideo;
    concepts ??= rng.shuffle(Array.from({ length: o.concepts }, (_, k) => k)).slice(0, n);
    if (concepts.length !== n) throw new InvalidInputError(`a video needs ${n} concepts, got ${concepts.length}`);
    const frameSize = o.height * o.width * o.channels;
    const frames = new Float32Array(n * o.frames * frameSize);
    for (let i = 0; i < n; i++) {
      const ci = this.conceptImages[concepts[i]];
      const ti = this.topicImages[topic];
      for (let f = 0; f < o.frames; f++) {
        const base = (i * o.frames + f) * frameSize;
        for (let k = 0; k < frameSize; k++) {
          const v = 0.65 * ci[k] + 0.35 * ti[k] + o.pixelNoise * rng.normal();
          frames[base + k] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    }
    const shift = rng.int(o.maxShift + 1);
    const described = concepts.map(() => rng.next() >= o.pMissing);
    const tokens = new Int32Array(n * o.maxWords);
    const target: number[] = [];
    for (let j = 0; j < n; j++) {
      const clip = j - shift;
      const relevant = clip >= 0 && described[clip] && rng.next() >= o.pIrrelevant;
      const words = [this.topicWord(topic)];
      if (relevant) words.push(this.conceptWord(concepts[clip]));
      const fillers = 1 + rng.int(o.maxWords - words.length);
      for (let f = 0; f < fillers; f++) words.push(this.fillerWord(rng.int(o.fillerWords)));
      rng.shuffle(words).forEach((w, k) => (tokens[j * o.maxWords + k] = w));
      target.push(relevant ? clip : -1);
    }
    return { topic, concepts, frames, tokens, target, shift };
  }

  /**
   * Held-out videos whose clips are all distinct: the concepts are dealt out without repetition
   * (floor(concepts / clipsPerVideo) videos), so each caption's true clip is unique in the gallery.
   */
  heldOut(rng: Rng): SyntheticVideo[] {
    const o = this.options;
    const order = rng.shuffle(Array.from({ length: o.concepts }, (_, k) => k));
    const count = Math.floor(o.concepts / o.clipsPerVideo);
    return Array.from({ length: count }, (_, v) =>
      this.video(rng, rng.int(o.topics), order.slice(v * o.clipsPerVideo, (v + 1) * o.clipsPerVideo)),
    );
  }

  /** A training batch of `videos` fresh videos. */
  batch(rng: Rng, videos: number): VttwinsBatch {
    return SyntheticVideoWorld.toBatch(Array.from({ length: videos }, () => this.video(rng)));
  }

  static toBatch(list: SyntheticVideo[]): VttwinsBatch {
    const frames = new Float32Array(list.reduce((a, v) => a + v.frames.length, 0));
    const tokens = new Int32Array(list.reduce((a, v) => a + v.tokens.length, 0));
    let fo = 0;
    let to = 0;
    for (const v of list) {
      frames.set(v.frames, fo);
      tokens.set(v.tokens, to);
      fo += v.frames.length;
      to += v.tokens.length;
    }
    return { videos: list.length, frames, tokens };
  }
}
