export type ImageInput = string | Buffer | Uint8Array;

export interface ImageDescription {
  /** sharp's format name: jpeg, png, webp, gif, tiff, heif, avif, svg, ... */
  format: string;
  /** Size as displayed, after EXIF orientation. */
  width: number;
  height: number;
  /** Frames in an animated image (1 for a still). */
  pages: number;
  hasAlpha: boolean;
  /** EXIF orientation tag (1-8), when present. */
  orientation?: number;
  space?: string;
}

export interface ToTensorOptions {
  width: number;
  height: number;
  /** cover: scale and centre-crop (default); contain: letterbox with black; fill: stretch. */
  fit?: 'cover' | 'contain' | 'fill';
  /** uint8: 0-255 (default); float32: 0-1, then (x - mean) / std per channel when given. */
  dtype?: 'uint8' | 'float32';
  mean?: [number, number, number];
  std?: [number, number, number];
}

/** Interleaved RGB (HWC), row-major: index = (y * width + x) * 3 + channel. */
export interface RgbImage<T extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  data: T;
  width: number;
  height: number;
  channels: 3;
}

export interface ThumbnailOptions {
  width: number;
  height?: number;
  format?: 'jpeg' | 'webp';
  /** 1-100, default 80. */
  quality?: number;
}
