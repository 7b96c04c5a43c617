import { Injectable } from '@nestjs/common';
import {
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  TesseraError,
  UnsupportedMediaError,
} from '@tessera/common';
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import type { ImageDescription, ImageInput, RgbImage, ThumbnailOptions, ToTensorOptions } from './image.types';

export interface SharpImageOptions {
  /** Refuse images with more pixels than this (config `limits.imagePixels`). */
  maxPixels?: number;
  /** Formats accepted (sharp's names); default DEFAULT_IMAGE_FORMATS. */
  allowedFormats?: readonly string[];
}

/**
 * Raster formats accepted from uploads. SVG is left out on purpose: librsvg resolves
 * `<image href>` against the file's folder, so a stored SVG could render other stored files.
 */
export const DEFAULT_IMAGE_FORMATS: readonly string[] = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif'];

/**
 * Image decode and resize through sharp. Every call builds its own sharp instance with the
 * options below; nothing process-wide (cache, concurrency) is set here, so callers and tests
 * do not interfere. Animated images give their first frame.
 */
@Injectable()
export class SharpImageRepository {
  private readonly maxPixels: number;
  private readonly allowedFormats: ReadonlySet<string>;

  constructor(options: SharpImageOptions = {}) {
    this.maxPixels = options.maxPixels ?? 50_000_000;
    this.allowedFormats = new Set(options.allowedFormats ?? DEFAULT_IMAGE_FORMATS);
  }

  async describe(input: ImageInput): Promise<ImageDescription> {
    // Header only, so libvips' own pixel limit is off here and our check below names the size.
    const meta = await this.guard(input, () => this.open(input, false).metadata());
    if (!meta.format || !meta.width || !meta.height) {
      throw new UnsupportedMediaError(`${label(input)}: not a recognised image`, { source: label(input) });
    }
    if (!this.allowedFormats.has(meta.format)) {
      throw new UnsupportedMediaError(`${label(input)}: ${meta.format} images are not accepted`, {
        source: label(input),
        format: meta.format,
      });
    }
    const pages = meta.pages ?? 1;
    // Checked on the header, before any pixel is decoded: an image bomb stops here.
    this.checkPixels(input, meta.width, meta.height);
    const swap = (meta.orientation ?? 1) >= 5;
    return {
      format: meta.format,
      width: swap ? meta.height : meta.width,
      height: swap ? meta.width : meta.height,
      pages,
      hasAlpha: meta.hasAlpha ?? false,
      orientation: meta.orientation,
      space: meta.space,
    };
  }

  /** Decoded, oriented, sRGB, resized RGB pixels for a model input (e.g. 224x224 or 64x64). */
  async toRgb(input: ImageInput, o: ToTensorOptions & { dtype: 'float32' }): Promise<RgbImage<Float32Array>>;
  async toRgb(input: ImageInput, o: ToTensorOptions & { dtype?: 'uint8' }): Promise<RgbImage<Uint8Array>>;
  async toRgb(input: ImageInput, o: ToTensorOptions): Promise<RgbImage>;
  async toRgb(input: ImageInput, o: ToTensorOptions): Promise<RgbImage> {
    checkSize(o.width, o.height);
    await this.describe(input);
    const { data, info } = await this.guard(input, () =>
      this.open(input)
        .resize(o.width, o.height, { fit: o.fit ?? 'cover', position: 'centre', background: { r: 0, g: 0, b: 0 } })
        .flatten({ background: { r: 0, g: 0, b: 0 } })
        .toColourspace('srgb')
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true }),
    );
    if (info.channels !== 3 || info.width !== o.width || info.height !== o.height) {
      throw new InvalidInputError(
        `${label(input)}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${o.width}x${o.height}x3`,
      );
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if ((o.dtype ?? 'uint8') === 'uint8') return { data: bytes, width: info.width, height: info.height, channels: 3 };
    const mean = o.mean ?? [0, 0, 0];
    const std = o.std ?? [1, 1, 1];
    const out = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const c = i % 3;
      out[i] = (bytes[i] / 255 - mean[c]) / std[c];
    }
    return { data: out, width: info.width, height: info.height, channels: 3 };
  }

  /** A JPEG or WebP thumbnail, oriented and in sRGB, never enlarged. */
  async thumbnail(input: ImageInput, o: ThumbnailOptions): Promise<Buffer> {
    checkSize(o.width, o.height ?? o.width);
    await this.describe(input);
    const quality = o.quality ?? 80;
    return this.guard(input, () => {
      const img = this.open(input)
        .resize(o.width, o.height, { fit: o.height ? 'cover' : 'inside', withoutEnlargement: true })
        .toColourspace('srgb');
      return (o.format ?? 'jpeg') === 'webp'
        ? img.webp({ quality }).toBuffer()
        : img.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: true }).toBuffer();
    });
  }

  private open(input: ImageInput, limitPixels = true): Sharp {
    const options: SharpOptions = {
      limitInputPixels: limitPixels ? this.maxPixels : false,
      failOn: 'truncated',
      autoOrient: true,
      pages: 1,
      page: 0,
      sequentialRead: true,
    };
    return sharp(
      typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength),
      options,
    );
  }

  private checkPixels(input: ImageInput, width: number, height: number): void {
    if (width * height > this.maxPixels) {
      throw new PayloadTooLargeError(
        `${label(input)}: ${width}x${height} = ${width * height} pixels is over the ${this.maxPixels} pixel limit`,
        { source: label(input), width, height, maxPixels: this.maxPixels },
      );
    }
  }

  /** Runs a sharp call and turns libvips' messages into typed errors. */
  private async guard<T>(input: ImageInput, fn: () => Promise<T>): Promise<T> {
    if (typeof input !== 'string' && input.byteLength === 0) {
      throw new InvalidInputError('image is empty (0 bytes)', { source: label(input) });
    }
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      const src = label(input);
      const details = { source: src, cause: msg };
      if (/exceeds pixel limit/i.test(msg))
        throw new PayloadTooLargeError(`${src}: image is over the ${this.maxPixels} pixel limit`, details, {
          cause: e,
        });
      if (/Input file is missing|no such file/i.test(msg))
        throw new NotFoundError(`image file not found: ${src}`, details, { cause: e });
      if (/unsupported image format|Input buffer is empty|Input file has corrupt header: .*not a known/i.test(msg)) {
        throw new UnsupportedMediaError(`${src}: not a supported image format`, details, { cause: e });
      }
      throw new InvalidInputError(`${src}: image is damaged or truncated (${msg.split('\n')[0]})`, details, {
        cause: e,
      });
    }
  }
}

function label(input: ImageInput): string {
  return typeof input === 'string' ? input : `<${input.byteLength}-byte buffer>`;
}

function checkSize(width: number, height: number): void {
  for (const v of [width, height]) {
    if (!Number.isInteger(v) || v < 1 || v > 8192)
      throw new InvalidInputError(`output size must be integers in 1..8192, got ${width}x${height}`);
  }
}
