import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import type { ParamStore } from '@tessera/tensor';
import { EncoderWeights, type WeightInit, l2Normalize, layerNorm } from './encoder-weights';

export interface VideoEncoderConfig {
  /** Frames sampled per clip. */
  frames: number;
  height: number;
  width: number;
  channels: number;
  /** Square patch side; must divide height and width. */
  patch: number;
  /** Width of the patch embedding and of the temporal transformer. */
  hidden: number;
  /** Output (joint space) dimension. */
  jointDim: number;
  seed: number;
}

export const DEFAULT_VIDEO_ENCODER_CONFIG: Readonly<VideoEncoderConfig> = Object.freeze({
  frames: 4,
  height: 16,
  width: 16,
  channels: 3,
  patch: 8,
  hidden: 64,
  jointDim: 64,
  seed: 1,
});

/**
 * Clip encoder sized for CPU training: patch embedding by one matmul, mean over patches per frame, a
 * learned frame position, one pre-norm single-head temporal transformer block over the frames, mean
 * over frames, a linear map to the joint space, L2 normalisation. Frames come in as arrays
 * (N clips × frames × height × width × channels, values in [0, 1] as Float32Array or 0-255 as Uint8Array).
 */
export class VttwinsVideoEncoder {
  readonly config: VideoEncoderConfig;
  readonly weights: EncoderWeights;
  private readonly w: Record<string, tf.Variable> = {};

  /** `store`: a shared @tessera/tensor ParamStore for checkpoints; one of its own when omitted. */
  constructor(config: Partial<VideoEncoderConfig> = {}, store?: ParamStore) {
    this.weights = new EncoderWeights('video', store);
    const c = { ...DEFAULT_VIDEO_ENCODER_CONFIG, ...config };
    for (const key of ['frames', 'height', 'width', 'channels', 'patch', 'hidden', 'jointDim'] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1)
        throw new InvalidInputError(`video encoder ${key} must be a positive integer, got ${c[key]}`);
    }
    if (c.height % c.patch !== 0 || c.width % c.patch !== 0) {
      throw new InvalidInputError(`patch ${c.patch} must divide the frame size ${c.height}×${c.width}`);
    }
    this.config = c;
    const rng = new Rng(c.seed);
    const pd = c.patch * c.patch * c.channels;
    const h = c.hidden;
    const add = (name: string, shape: number[], init?: WeightInit): void => {
      this.w[name] = this.weights.add(name, shape, rng, init);
    };
    add('patchW', [pd, h]);
    add('patchB', [h], 'zeros');
    add('framePos', [c.frames, h], 'normal02');
    add('ln1g', [h], 'ones');
    add('ln1b', [h], 'zeros');
    add('wq', [h, h]);
    add('wk', [h, h]);
    add('wv', [h, h]);
    add('wo', [h, h]);
    add('ln2g', [h], 'ones');
    add('ln2b', [h], 'zeros');
    add('mlp1', [h, 2 * h]);
    add('mlp1b', [2 * h], 'zeros');
    add('mlp2', [2 * h, h]);
    add('mlp2b', [h], 'zeros');
    add('proj', [h, c.jointDim]);
  }

  get variables(): tf.Variable[] {
    return this.weights.list;
  }

  /** Values per clip expected by `encode`. */
  get clipSize(): number {
    const c = this.config;
    return c.frames * c.height * c.width * c.channels;
  }

  /** Rearranges frames into patch rows (N·frames·patches, patch²·channels), pixels scaled to [0, 1] then centred (− 0.5). */
  patchify(frames: Float32Array | Uint8Array, clips: number): Float32Array {
    const c = this.config;
    if (frames.length !== clips * this.clipSize) {
      throw new DimensionMismatchError(`expected ${clips} clips × ${this.clipSize} values, got ${frames.length}`);
    }
    // Centred pixels: an all-positive input would give every clip nearly the same embedding at init.
    const scale = frames instanceof Uint8Array ? 1 / 255 : 1;
    const ph = c.height / c.patch;
    const pw = c.width / c.patch;
    const pd = c.patch * c.patch * c.channels;
    const out = new Float32Array(frames.length);
    let o = 0;
    for (let f = 0; f < clips * c.frames; f++) {
      const base = f * c.height * c.width * c.channels;
      for (let py = 0; py < ph; py++) {
        for (let px = 0; px < pw; px++) {
          for (let y = 0; y < c.patch; y++) {
            const row = base + ((py * c.patch + y) * c.width + px * c.patch) * c.channels;
            for (let k = 0; k < c.patch * c.channels; k++) out[o++] = frames[row + k] * scale - 0.5;
          }
        }
      }
    }
    if (o !== clips * c.frames * ph * pw * pd) throw new DimensionMismatchError('patchify size mismatch');
    return out;
  }

  /** (N, jointDim) unit-norm clip embeddings. */
  encode(frames: Float32Array | Uint8Array, clips: number): tf.Tensor2D {
    const c = this.config;
    const patches = this.patchify(frames, clips);
    const np = (c.height / c.patch) * (c.width / c.patch);
    const pd = c.patch * c.patch * c.channels;
    const h = c.hidden;
    const w = this.w;
    return tf.tidy(() => {
      const p = tf.tensor2d(patches, [clips * c.frames * np, pd]);
      const emb = tf.add(tf.matMul(p, w.patchW), w.patchB); // linear, as ViT's patch embedding
      const perFrame = tf.mean(tf.reshape(emb, [clips, c.frames, np, h]), 2); // (N, F, h)
      let x = tf.add(perFrame, w.framePos);
      // Temporal self-attention (single head) over the frames of each clip.
      const flat = tf.reshape(layerNorm(x, w.ln1g, w.ln1b), [clips * c.frames, h]);
      const q = tf.reshape(tf.matMul(flat, w.wq), [clips, c.frames, h]);
      const k = tf.reshape(tf.matMul(flat, w.wk), [clips, c.frames, h]);
      const v = tf.reshape(tf.matMul(flat, w.wv), [clips, c.frames, h]);
      const att = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(h)), -1);
      const mixed = tf.reshape(tf.matMul(att, v), [clips * c.frames, h]);
      x = tf.add(x, tf.reshape(tf.matMul(mixed, w.wo), [clips, c.frames, h]));
      const flat2 = tf.reshape(layerNorm(x, w.ln2g, w.ln2b), [clips * c.frames, h]);
      const mlp = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat2, w.mlp1), w.mlp1b)), w.mlp2), w.mlp2b);
      x = tf.add(x, tf.reshape(mlp, [clips, c.frames, h]));
      const pooled = tf.mean(x, 1);
      return l2Normalize(tf.matMul(pooled, w.proj)) as tf.Tensor2D;
    });
  }

  /** Embeddings as a plain row-major Float32Array (N × jointDim); no tensor escapes. */
  async embed(frames: Float32Array | Uint8Array, clips: number): Promise<Float32Array> {
    const t = this.encode(frames, clips);
    try {
      return (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  }

  dispose(): void {
    this.weights.dispose();
  }
}
