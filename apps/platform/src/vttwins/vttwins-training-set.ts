import { InvalidInputError, Rng, sha256 } from '@tessera/common';
import { VttwinsConfig, type VttwinsBatch, type VttwinsConfigValues } from '@tessera/models/vttwins';
import { describeBackend } from '@tessera/tensor';
import { SubwordTokenizer } from '@tessera/text';
import { VTTWINS_MODEL_ID, type VttwinsCard, VttwinsModel } from './vttwins-model.store';

/** Frames per clip and their size, as the encoders of every platform-trained version take them. */
export const VTTWINS_FRAME = { frames: 4, height: 32, width: 32, channels: 3 } as const;
/** Frame sampling rate when clips are decoded for training, evaluation and search. */
export const VTTWINS_SAMPLE_FPS = 2;

/** Sampled frames (frames × H × W × C, 0-255) and the caption of one clip; '' when nothing is said. */
export interface PreparedClip {
  frames: Uint8Array;
  caption: string;
}

export interface PreparedVideo {
  id: string;
  clips: PreparedClip[];
}

export interface VttwinsTrainingSetOptions {
  version: string;
  /** Clip/caption pairs per training sequence (n). */
  clipsPerVideo: number;
  /** Sequences per batch (b ≥ 2; capped at the number of sequences). */
  batchSize: number;
  steps: number;
  seed: number;
  loss?: VttwinsConfigValues['loss'];
  learningRate?: number;
  /** The spec's temporal data augmentation (default off, as released). */
  temporalAugmentation?: boolean;
  /** Per clip in each batch: a random horizontal flip and per-channel gains in 0.8–1.2 (default off). */
  frameAugmentation?: boolean;
  checkpointEvery?: number;
  /**
   * Cut each video into non-overlapping runs of at least n clips and treat each run as its own
   * sequence: more negatives per batch from few videos (off by default).
   */
  splitVideos?: boolean;
}

/**
 * What a VT-TWINS training run needs, built from prepared videos: the tokenizer (trained on the
 * captions), a fresh model with its card, the validated config, a batch sampler that depends on the
 * step only (so a resumed run sees the same batches) and a fingerprint of data and shapes.
 */
export interface VttwinsTrainingSet {
  model: VttwinsModel;
  config: VttwinsConfig;
  card: VttwinsCard;
  nextBatch: (step: number) => VttwinsBatch;
  fingerprint: Record<string, unknown>;
  /** Sequences the sampler draws from (videos, or runs of videos with `splitVideos`). */
  sequences: number;
}

export async function buildVttwinsTrainingSet(
  videos: PreparedVideo[],
  opts: VttwinsTrainingSetOptions,
  extraCard: { data?: Record<string, unknown> } = {},
): Promise<VttwinsTrainingSet> {
  const n = opts.clipsPerVideo;
  const sequences = opts.splitVideos ? videos.flatMap((v) => splitIntoRuns(v, n)) : videos;
  if (sequences.length < 2 || sequences.some((v) => v.clips.length < n))
    throw new InvalidInputError(`VT-TWINS needs at least 2 sequences of ${n}+ clips; got ${sequences.length}`);
  const captions = sequences.flatMap((v) => v.clips.map((c) => c.caption));
  const said = captions.filter(Boolean);
  if (said.length === 0) throw new InvalidInputError('VT-TWINS needs captions to align; none of the clips has one');
  const tokenizer = await SubwordTokenizer.train(said, { vocabSize: 512, seed: opts.seed });
  const config = VttwinsConfig.create({
    clipsPerVideo: n,
    batchSize: Math.min(opts.batchSize, sequences.length),
    steps: opts.steps,
    learningRate: opts.learningRate ?? 3e-3,
    loss: opts.loss ?? 's2dtw',
    temporalAugmentation: opts.temporalAugmentation ?? false,
    checkpointEvery: opts.checkpointEvery ?? 0,
    seed: opts.seed,
  });
  const maxWords = 20;
  const { ids: tokenIds } = await tokenizer.encodeBatchFlat(captions, { maxLength: maxWords, addSpecial: false });
  const card: VttwinsCard = {
    modelId: VTTWINS_MODEL_ID,
    version: opts.version,
    createdAt: new Date().toISOString(),
    video: { ...VTTWINS_FRAME, patch: 8, hidden: 64, jointDim: 32, seed: opts.seed + 1 },
    text: {
      vocabSize: tokenizer.vocabSize,
      maxWords,
      wordDim: 64,
      hidden: 128,
      jointDim: 32,
      maskPaddingInMaxPool: true,
      seed: opts.seed + 2,
    },
    training: { ...config.toJSON(), splitVideos: opts.splitVideos ?? false, sampleFps: VTTWINS_SAMPLE_FPS },
    data: {
      videos: videos.length,
      sequences: sequences.length,
      clips: captions.length,
      captioned: said.length,
      ...extraCard.data,
    },
    metrics: {},
    backend: describeBackend().backend,
  };
  const known = new Set(Array.from(tokenIds).filter((id) => id !== 0));
  const model = VttwinsModel.create(card, tokenizer, known);

  const offsets: number[] = [];
  sequences.reduce((acc, v) => (offsets.push(acc), acc + v.clips.length), 0);
  const frameSize = VTTWINS_FRAME.frames * VTTWINS_FRAME.height * VTTWINS_FRAME.width * VTTWINS_FRAME.channels;
  // each step: b distinct sequences, a random window of n consecutive clips from each, drawn from (seed, step)
  const nextBatch = (step: number): VttwinsBatch => {
    const rng = new Rng((Math.imul(opts.seed + 1, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0);
    const picks = rng.shuffle(sequences.map((_, i) => i)).slice(0, config.batchSize);
    const frames = new Uint8Array(picks.length * n * frameSize);
    const tokens = new Int32Array(picks.length * n * maxWords);
    picks.forEach((v, b) => {
      const start = rng.int(sequences[v].clips.length - n + 1);
      for (let k = 0; k < n; k++) {
        const clip = sequences[v].clips[start + k].frames;
        if (opts.frameAugmentation) frames.set(augmentFrames(clip, rng), (b * n + k) * frameSize);
        else frames.set(clip, (b * n + k) * frameSize);
        const at = (offsets[v] + start + k) * maxWords;
        tokens.set(tokenIds.subarray(at, at + maxWords), (b * n + k) * maxWords);
      }
    });
    return { videos: picks.length, frames, tokens };
  };
  const fingerprint = {
    sequences: sequences.map((v) => `${v.id}:${v.clips.length}`),
    captions: sha256(JSON.stringify(captions)),
    tokens: sha256(new Uint8Array(tokenIds.buffer, tokenIds.byteOffset, tokenIds.byteLength)),
    frames: sha256(JSON.stringify(sequences.map((v) => v.clips.map((c) => sha256(c.frames))))),
    video: card.video,
    text: card.text,
  };
  return { model, config, card, nextBatch, fingerprint, sequences: sequences.length };
}

/** A video's clips as consecutive runs of n to 2n−1 clips (a shorter video stays whole). */
function splitIntoRuns(v: PreparedVideo, n: number): PreparedVideo[] {
  const count = Math.max(1, Math.floor(v.clips.length / n));
  const out: PreparedVideo[] = [];
  for (let r = 0; r < count; r++) {
    const start = r * n;
    const end = r === count - 1 ? v.clips.length : start + n;
    out.push({ id: `${v.id}#${r}`, clips: v.clips.slice(start, end) });
  }
  return out;
}

/** A flipped-or-not, colour-scaled copy of a clip's frames (frames × H × W × C, 0-255). */
function augmentFrames(frames: Uint8Array, rng: Rng): Uint8Array {
  const { height: h, width: w, channels: c } = VTTWINS_FRAME;
  const flip = rng.next() < 0.5;
  const gains = Array.from({ length: c }, () => 0.8 + 0.4 * rng.next());
  const out = new Uint8Array(frames.length);
  for (let f = 0; f < frames.length / (h * w * c); f++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const from = ((f * h + y) * w + (flip ? w - 1 - x : x)) * c;
        const to = ((f * h + y) * w + x) * c;
        for (let k = 0; k < c; k++) out[to + k] = Math.min(255, Math.round(frames[from + k] * gains[k]));
      }
  return out;
}

/** A clip's frames as one frames × H × W × C array (the last frame repeats when a clip has fewer). */
export function stackClipFrames(frames: Uint8Array[]): Uint8Array {
  const size = VTTWINS_FRAME.height * VTTWINS_FRAME.width * VTTWINS_FRAME.channels;
  const out = new Uint8Array(VTTWINS_FRAME.frames * size);
  for (let f = 0; f < VTTWINS_FRAME.frames; f++)
    out.set(frames[Math.min(f, frames.length - 1)] ?? new Uint8Array(size), f * size);
  return out;
}
