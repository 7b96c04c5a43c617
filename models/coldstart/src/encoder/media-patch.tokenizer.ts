import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { DenseModalitySpec } from './item-encoder.config';
import type { ModalityTokens } from './item-tokens.types';

/** Raw pixels: size × size × 3 interleaved RGB bytes (what the platform's sharp adapter decodes to). */
export type RgbPixels = Uint8Array;

/**
 * What a saved model records so serving cuts pixels exactly as training did. `image`: one still
 * (a thumbnail or poster) resized to size², cut into patch² squares, one token per square (ViT-style,
 * raw pixels projected by the encoder; no pretrained features). `video`: a sequence of sampled frames,
 * each resized to size², one token per frame (spec §3.1's frame sequence, with raw pixels as the frame
 * feature instead of a frozen image encoder).
 */
export interface MediaPatchTokenizerState {
  kind: 'rgb-patches';
  image?: { size: number; patch: number };
  video?: { size: number; maxFrames: number };
}

export const IMAGE_MODALITY = 'image';
export const VIDEO_MODALITY = 'video';

/** Defaults sized for CPU: a 32² image → 16 patches of 8²×3 = 192 values; 8 frames of 8²×3 = 192 values. */
export const DEFAULT_MEDIA_PATCHES: Required<Omit<MediaPatchTokenizerState, 'kind'>> = {
  image: { size: 32, patch: 8 },
  video: { size: 8, maxFrames: 8 },
};

/** Turns decoded RGB pixels into the encoder's dense `image` and `video` tokens; either part may be absent. */
export class MediaPatchTokenizer {
  constructor(readonly spec: Omit<MediaPatchTokenizerState, 'kind'>) {
    const problems: string[] = [];
    const { image, video } = spec;
    if (!image && !video) problems.push('give an image or a video setting');
    if (image) {
      if (!isSide(image.size) || !isSide(image.patch)) problems.push('image size and patch must be integers in 1..512');
      else if (image.size % image.patch !== 0) problems.push(`patch ${image.patch} must divide size ${image.size}`);
    }
    if (video) {
      if (!isSide(video.size)) problems.push('video frame size must be an integer in 1..512');
      if (!Number.isInteger(video.maxFrames) || video.maxFrames < 1 || video.maxFrames > 256)
        problems.push('video maxFrames must be an integer in 1..256');
    }
    if (problems.length) throw new InvalidInputError(`invalid media patch setting: ${problems.join('; ')}`);
  }

  static fromState(state: MediaPatchTokenizerState): MediaPatchTokenizer {
    if (state?.kind !== 'rgb-patches')
      throw new InvalidInputError(`unsupported media tokenizer state ${JSON.stringify(state)}`);
    return new MediaPatchTokenizer({ image: state.image, video: state.video });
  }

  state(): MediaPatchTokenizerState {
    return {
      kind: 'rgb-patches',
      ...(this.spec.image ? { image: { ...this.spec.image } } : {}),
      ...(this.spec.video ? { video: { ...this.spec.video } } : {}),
    };
  }

  /** Dense modality specs to add to the encoder config. */
  modalitySpecs(): DenseModalitySpec[] {
    const out: DenseModalitySpec[] = [];
    const { image, video } = this.spec;
    if (image) {
      const perSide = image.size / image.patch;
      out.push({
        name: IMAGE_MODALITY,
        kind: 'dense',
        inputDim: image.patch * image.patch * 3,
        maxLength: perSide ** 2,
      });
    }
    if (video)
      out.push({
        name: VIDEO_MODALITY,
        kind: 'dense',
        inputDim: video.size * video.size * 3,
        maxLength: video.maxFrames,
      });
    return out;
  }

  /** Patch tokens of one still, row-major over patches; pixels scaled to [0, 1] then centred (− 0.5). */
  imageTokens(rgb: RgbPixels): ModalityTokens {
    const image = this.spec.image;
    if (!image) throw new InvalidInputError('this model has no image modality');
    const { size, patch } = image;
    checkPixels(rgb, size, 'image');
    const perSide = size / patch;
    const tokens: Float32Array[] = [];
    for (let py = 0; py < perSide; py++) {
      for (let px = 0; px < perSide; px++) {
        const tok = new Float32Array(patch * patch * 3);
        let o = 0;
        for (let y = 0; y < patch; y++) {
          const row = ((py * patch + y) * size + px * patch) * 3;
          for (let k = 0; k < patch * 3; k++) tok[o++] = rgb[row + k] / 255 - 0.5;
        }
        tokens.push(tok);
      }
    }
    return { kind: 'dense', tokens };
  }

  /** One token per frame, at most `maxFrames` taken evenly over the sequence (first and last kept). */
  videoTokens(frames: readonly RgbPixels[]): ModalityTokens {
    const video = this.spec.video;
    if (!video) throw new InvalidInputError('this model has no video modality');
    if (frames.length === 0) throw new InvalidInputError('a video needs at least one frame');
    return {
      kind: 'dense',
      tokens: evenlySpaced(frames.length, video.maxFrames).map((i) => {
        checkPixels(frames[i], video.size, `frame ${i}`);
        return Float32Array.from(frames[i], (v) => v / 255 - 0.5);
      }),
    };
  }
}

/** Indices of `take` positions spread evenly over `n` (all of them when n ≤ take). */
export function evenlySpaced(n: number, take: number): number[] {
  if (n <= take) return Array.from({ length: n }, (_, i) => i);
  if (take === 1) return [0];
  return Array.from({ length: take }, (_, k) => Math.round((k * (n - 1)) / (take - 1)));
}

function isSide(v: number): boolean {
  return Number.isInteger(v) && v >= 1 && v <= 512;
}

function checkPixels(rgb: RgbPixels, size: number, what: string): void {
  if (!rgb || rgb.length !== size * size * 3)
    throw new DimensionMismatchError(
      `${what} has ${rgb?.length} values, expected ${size}x${size}x3 = ${size * size * 3}`,
      {
        expected: size * size * 3,
      },
    );
}
