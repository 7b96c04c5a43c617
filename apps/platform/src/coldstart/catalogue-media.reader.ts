import { Injectable, Logger } from '@nestjs/common';
import { describeError, InvalidInputError } from '@tessera/common';
import { Asset, AssetRepository, BlobStore, Item } from '@tessera/db';
import { SharpImageRepository } from '@tessera/ingest/image';
import { FfmpegMediaRepository } from '@tessera/ingest/video';
import {
  evenlySpaced,
  IMAGE_MODALITY,
  type ItemTokens,
  type MediaPatchTokenizer,
  VIDEO_MODALITY,
} from '@tessera/models/coldstart';

/** Media tokens of one item, the modalities they fill, and what had to be substituted or skipped. */
export interface MediaTokens {
  modalities: ItemTokens['modalities'];
  notes: string[];
}

/** What an ingested item can offer the encoder: its stills (image) or its sampled frames in time order (video). */
export interface ItemFrames {
  kind: 'image' | 'video';
  frames: Asset[];
  /** The frame the ingest chose as the item's thumbnail (a video's keyframe). */
  keyframe?: Asset;
}

/**
 * Reads the thumbnails and keyframes the ingest job stored (assets with probe role `thumbnail`) and
 * decodes them through the sharp adapter into the pixels a model's media tokenizer cuts into tokens.
 * A damaged stored frame leaves that item without media (noted), never the whole batch.
 */
@Injectable()
export class CatalogueMediaReader {
  private readonly logger = new Logger(CatalogueMediaReader.name);

  constructor(
    private readonly assets: AssetRepository,
    private readonly blobs: BlobStore,
    private readonly images: SharpImageRepository,
    private readonly ffmpeg: FfmpegMediaRepository,
  ) {}

  /** Stored frames of an image or video item (empty before its ingest job has run). */
  async framesOf(item: Item): Promise<ItemFrames | null> {
    if (item.kind !== 'image' && item.kind !== 'video') return null;
    const frames = (await this.assets.listForItem(item.id))
      .filter((a) => a.probe?.role === 'thumbnail')
      .sort((a, b) => Number(a.probe?.timeS ?? 0) - Number(b.probe?.timeS ?? 0));
    if (frames.length === 0) return null;
    const keyId = item.metadata.thumbnailAssetId;
    return { kind: item.kind, frames, keyframe: frames.find((f) => f.id === keyId) ?? frames[0] };
  }

  /**
   * Encoder tokens for an item's media under a model's media tokenizer. Images fill `image`; videos
   * fill `video` (sampled frames), or, for a model without a video modality, `image` from the
   * keyframe (noted). A model without media modalities gets nothing here (noted for media items).
   */
  async tokensFor(item: Item, media: MediaPatchTokenizer | undefined): Promise<MediaTokens> {
    const out: MediaTokens = { modalities: {}, notes: [] };
    if (item.kind !== 'image' && item.kind !== 'video') return out;
    if (!media) {
      out.notes.push(
        `the model was trained without images or video: ${item.kind} ${item.id} embedded from its text only`,
      );
      return out;
    }
    const found = await this.framesOf(item);
    if (!found) {
      out.notes.push(`${item.kind} ${item.id} has no stored frames yet (ingest not finished): text only`);
      return out;
    }
    try {
      const { image, video } = media.spec;
      if (found.kind === 'video' && video) {
        let pixels: Uint8Array[] | undefined;
        // the ingest keeps one thumbnail per clip, so a short video may have too few for a frame sequence
        if (found.frames.length < video.maxFrames) pixels = await this.sampleOriginal(item, video, out.notes);
        if (!pixels) {
          const picked = evenlySpaced(found.frames.length, video.maxFrames).map((i) => found.frames[i]);
          pixels = await Promise.all(picked.map((f) => this.decode(f, video.size)));
        }
        out.modalities[VIDEO_MODALITY] = media.videoTokens(pixels);
        if (pixels.length < 2) out.notes.push(`video ${item.id} gave a single frame`);
      } else if (image) {
        const still = found.kind === 'video' ? found.keyframe! : found.frames[0];
        out.modalities[IMAGE_MODALITY] = media.imageTokens(await this.decode(still, image.size));
        if (found.kind === 'video')
          out.notes.push(`the model has no video modality: video ${item.id} embedded from its keyframe as an image`);
      } else {
        out.notes.push(`the model has no image modality: ${item.kind} ${item.id} embedded without its picture`);
      }
    } catch (e) {
      out.modalities = {};
      out.notes.push(`${item.kind} ${item.id}: stored frames could not be read (${describeError(e)}); text only`);
      this.logger.warn({ msg: 'media tokens skipped', itemId: item.id, error: describeError(e) });
    }
    return out;
  }

  /** Image tokens of uploaded bytes (decoded safely: pixel limit, format allow-list, typed errors). */
  async uploadTokens(bytes: Buffer, media: MediaPatchTokenizer): Promise<ItemTokens['modalities']> {
    const image = media.spec.image;
    if (!image) throw new InvalidInputError('the model has no image modality');
    const rgb = await this.images.toRgb(bytes, { width: image.size, height: image.size, dtype: 'uint8' });
    return { [IMAGE_MODALITY]: media.imageTokens(rgb.data) };
  }

  /** `maxFrames` frames sampled from the stored original (in time order), or undefined with a note. */
  private async sampleOriginal(
    item: Item,
    video: { size: number; maxFrames: number },
    notes: string[],
  ): Promise<Uint8Array[] | undefined> {
    const assetId = item.metadata.originalAssetId;
    if (typeof assetId !== 'string') return undefined;
    try {
      const path = await this.blobs.locate((await this.assets.getById(assetId)).contentHash);
      const frames = await this.ffmpeg.keyframes(path, { count: video.maxFrames, width: 64 });
      frames.sort((a, b) => a.timeS - b.timeS);
      return await Promise.all(
        frames.map(
          async (f) =>
            (await this.images.toRgb(f.jpeg, { width: video.size, height: video.size, dtype: 'uint8' })).data,
        ),
      );
    } catch (e) {
      notes.push(
        `video ${item.id}: frames could not be sampled from the original (${describeError(e)}); stored thumbnails used`,
      );
      return undefined;
    }
  }

  private async decode(frame: Asset, size: number): Promise<Uint8Array> {
    const path = await this.blobs.locate(frame.contentHash);
    return (await this.images.toRgb(path, { width: size, height: size, dtype: 'uint8' })).data;
  }
}
