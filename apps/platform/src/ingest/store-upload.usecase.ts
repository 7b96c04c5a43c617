import { Inject, Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { AppConfig, InvalidInputError, TesseraConfig } from '@tessera/common';
import { AssetRepository, BlobSource, BlobStore, Item, ItemRepository, TextRepository } from '@tessera/db';
import { normalizeText, parseSubtitles } from '@tessera/ingest/text';
import { sniffStoredFile } from './media-kind';

export interface StoreUploadCommand {
  source: BlobSource;
  /** The client's file name: shown to people, never trusted for type or path. */
  filename?: string;
  title?: string;
  metadata?: Record<string, unknown>;
  /** A sidecar SRT/WebVTT for a video (segmentation and captions). */
  subtitles?: { source: BlobSource; filename?: string };
  /** Where the item came from (`upload`, `folder`, ...). */
  origin?: string;
}

export interface StoreUploadResult {
  item: Item;
  /** False when the same bytes were already an item: re-ingesting is a no-op. */
  created: boolean;
  /** Whether the media still needs the ingest job (video and image items). */
  needsProcessing: boolean;
}

/**
 * Stores uploaded bytes once by content hash and records the item and its original asset.
 * Video and image items are processed afterwards by the ingest job; text items are complete here.
 */
@Injectable()
export class StoreUploadUsecase {
  constructor(
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly blobs: BlobStore,
    private readonly items: ItemRepository,
    private readonly assets: AssetRepository,
    private readonly texts: TextRepository,
  ) {}

  async execute(cmd: StoreUploadCommand): Promise<StoreUploadResult> {
    const filename = cmd.filename ?? 'upload';
    const blob = await this.blobs.put(cmd.source, { maxBytes: this.config.limits.uploadBytes });
    const existing = await this.assets.findByHash(blob.hash);
    if (existing?.itemId) {
      const item = await this.items.getById(existing.itemId);
      return { item, created: false, needsProcessing: needsProcessing(item) };
    }
    const media = await sniffStoredFile(blob.absolutePath, filename);

    // validate the sidecar before anything is written, so a bad one leaves no half item behind
    let subtitles: { hash: string; bytes: number; path: string; text: string } | undefined;
    if (cmd.subtitles) {
      if (media.kind !== 'video') throw new InvalidInputError('subtitles can only accompany a video', { filename });
      const sub = await this.blobs.put(cmd.subtitles.source, { maxBytes: 16 * 1024 * 1024 });
      const text = await readFile(sub.absolutePath, 'utf8');
      parseSubtitles(text, { source: cmd.subtitles.filename ?? 'subtitles' });
      subtitles = { hash: sub.hash, bytes: sub.bytes, path: sub.path, text };
    }

    const { item, created } = await this.items.upsert({
      kind: media.kind,
      source: cmd.origin ?? 'upload',
      externalId: blob.hash,
      title: cmd.title ?? filename,
      metadata: {
        ...(cmd.metadata ?? {}),
        filename,
        format: media.format,
        ingest: { state: media.kind === 'text' ? 'ready' : 'queued' },
      },
    });
    if (!created) return { item, created: false, needsProcessing: needsProcessing(item) };

    const { asset } = await this.assets.upsertByHash({
      itemId: item.id,
      contentHash: blob.hash,
      mediaType: media.mediaType,
      bytes: blob.bytes,
      path: blob.path,
    });
    const metadata: Record<string, unknown> = { ...item.metadata, originalAssetId: asset.id };
    if (subtitles) {
      const { asset: subAsset } = await this.assets.upsertByHash({
        itemId: item.id,
        contentHash: subtitles.hash,
        mediaType: 'text/plain; charset=utf-8',
        bytes: subtitles.bytes,
        path: subtitles.path,
      });
      metadata.subtitleAssetId = subAsset.id;
    }
    if (media.kind === 'text') {
      const body = await readFile(blob.absolutePath, 'utf8');
      await this.texts.replaceField(item.id, 'body', [
        { language: 'und', text: normalizeText(body, { keepNewlines: true }) },
      ]);
    }
    const updated = await this.items.update(item.id, { metadata });
    return { item: updated, created: true, needsProcessing: media.kind !== 'text' };
  }
}

/** Video and image items need the ingest job until a run of it has finished. */
function needsProcessing(item: Item): boolean {
  const state = (item.metadata.ingest as { state?: string } | undefined)?.state;
  return item.kind !== 'text' && state !== 'ready';
}
