import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError, PayloadTooLargeError, UnsupportedMediaError } from '@tessera/common';
import { SharpImageRepository } from '@tessera/ingest/image';

/** A PNG that declares width x height in its IHDR but carries no pixel data: an image bomb header. */
function pngBomb(width: number, height: number): Buffer {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    sig,
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** 4x2 image: left half red, right half blue. */
async function halves(format: 'png' | 'jpeg'): Promise<Buffer> {
  const raw = Buffer.alloc(4 * 2 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
  const img = sharp(raw, { raw: { width: 4, height: 2, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 100 }).toBuffer();
}

describe('SharpImageRepository', () => {
  const images = new SharpImageRepository({ maxPixels: 10_000_000 });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-image-'));
  });

  it('describes a PNG from a buffer and from a file', async () => {
    const png = await halves('png');
    expect(await images.describe(png)).toMatchObject({ format: 'png', width: 4, height: 2, pages: 1, hasAlpha: false });
    const path = join(dir, 'h.png');
    writeFileSync(path, png);
    expect(await images.describe(path)).toMatchObject({ format: 'png', width: 4, height: 2 });
  });

  it('gives exact RGB bytes and normalised floats', async () => {
    const png = await halves('png');
    const u8 = await images.toRgb(png, { width: 4, height: 2, fit: 'fill' });
    expect(u8.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(u8.data.subarray(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(u8.data.subarray(9, 12))).toEqual([0, 0, 255]);
    const f = await images.toRgb(png, {
      width: 4,
      height: 2,
      fit: 'fill',
      dtype: 'float32',
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f.data.subarray(0, 3))).toEqual([1, -1, -1]);
  });

  it('auto-orients from EXIF before resizing', async () => {
    // Stored 4x2 with orientation 6 (rotate 90 clockwise) displays as 2x4, red on top.
    const rotated = await sharp(await halves('png'))
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 100 })
      .toBuffer();
    const d = await images.describe(rotated);
    expect(d).toMatchObject({ width: 2, height: 4, orientation: 6 });
    const px = await images.toRgb(rotated, { width: 2, height: 4, fit: 'fill' });
    expect(px.data[0]).toBeGreaterThan(200); // top-left red
    expect(px.data[2]).toBeLessThan(60);
    expect(px.data[(3 * 2 + 1) * 3 + 2]).toBeGreaterThan(200); // bottom-right blue
  });

  it('crops to a square model input (cover) and letterboxes (contain)', async () => {
    const big = await sharp({ create: { width: 300, height: 100, channels: 3, background: { r: 0, g: 200, b: 0 } } })
      .png()
      .toBuffer();
    const cover = await images.toRgb(big, { width: 64, height: 64 });
    expect(cover.data.length).toBe(64 * 64 * 3);
    expect(Array.from(cover.data.subarray(0, 3))).toEqual([0, 200, 0]);
    const contain = await images.toRgb(big, { width: 64, height: 64, fit: 'contain' });
    expect(Array.from(contain.data.subarray(0, 3))).toEqual([0, 0, 0]); // black bar at the top
  });

  it('converts 16-bit, greyscale and CMYK inputs to 8-bit sRGB RGB', async () => {
    const grey16 = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const g = await images.toRgb(grey16, { width: 4, height: 4 });
    expect(g.data.length).toBe(4 * 4 * 3);
    expect(Math.abs(g.data[0] - 128)).toBeLessThanOrEqual(2);
    expect(g.data[0]).toBe(g.data[1]);
    const cmyk = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 30, b: 30 } } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const c = await images.toRgb(cmyk, { width: 4, height: 4 });
    expect(c.data.length).toBe(4 * 4 * 3);
    expect(c.data[0]).toBeGreaterThan(150);
    expect(c.data[1]).toBeLessThan(90);
  });

  it('takes the first frame of an animated image', async () => {
    const red = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const blue = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0000ff' } })
      .png()
      .toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } })
      .gif()
      .toBuffer();
    const d = await images.describe(gif);
    expect(d).toMatchObject({ format: 'gif', width: 8, height: 8, pages: 2 });
    const px = await images.toRgb(gif, { width: 8, height: 8 });
    expect(px.data[0]).toBeGreaterThan(200);
    expect(px.data[2]).toBeLessThan(60);
  });

  it('makes JPEG and WebP thumbnails that are never enlarged', async () => {
    const src = await sharp({
      create: { width: 400, height: 200, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const jpg = await images.thumbnail(src, { width: 100 });
    expect(await images.describe(jpg)).toMatchObject({ format: 'jpeg', width: 100, height: 50 });
    const webp = await images.thumbnail(src, { width: 1000, format: 'webp' });
    expect(await images.describe(webp)).toMatchObject({ format: 'webp', width: 400, height: 200 });
  });

  describe('bad input', () => {
    it('refuses an image bomb from its header with PayloadTooLargeError', async () => {
      const bomb = pngBomb(100_000, 100_000);
      await expect(images.describe(bomb)).rejects.toThrow(PayloadTooLargeError);
      await expect(images.toRgb(bomb, { width: 64, height: 64 })).rejects.toThrow(
        /100000x100000 .* over the 10000000 pixel limit/,
      );
    });

    it('refuses a truncated JPEG with InvalidInputError', async () => {
      const jpg = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#336699' } })
        .jpeg()
        .toBuffer();
      const cut = jpg.subarray(0, Math.floor(jpg.length / 2));
      await expect(images.toRgb(cut, { width: 32, height: 32 })).rejects.toThrow(InvalidInputError);
    });

    it('refuses text renamed .png with UnsupportedMediaError', async () => {
      const path = join(dir, 'notes.png');
      writeFileSync(path, 'this is not an image\n'.repeat(20));
      await expect(images.describe(path)).rejects.toThrow(UnsupportedMediaError);
    });

    it('refuses SVG (it can pull in other files) unless allowed', async () => {
      const svg = Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>',
      );
      await expect(images.describe(svg)).rejects.toThrow(/svg images are not accepted/);
      await expect(images.toRgb(svg, { width: 8, height: 8 })).rejects.toThrow(UnsupportedMediaError);
      const permissive = new SharpImageRepository({ allowedFormats: ['svg'] });
      const px = await permissive.toRgb(svg, { width: 8, height: 8 });
      expect(Array.from(px.data.subarray(0, 3))).toEqual([255, 0, 0]);
    });

    it('refuses an empty buffer and a missing file', async () => {
      await expect(images.describe(Buffer.alloc(0))).rejects.toThrow(InvalidInputError);
      await expect(images.describe(join(dir, 'missing.jpg'))).rejects.toThrow(NotFoundError);
    });

    it('goes on past a bad item in a batch', async () => {
      const good = await halves('png');
      const results = await Promise.allSettled(
        [good, pngBomb(50_000, 50_000), good].map((b) => images.toRgb(b, { width: 2, height: 2 })),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    });
  });
});
