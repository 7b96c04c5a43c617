import { Injectable, Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { describeError, InvalidInputError } from '@tessera/common';
import { AssetRepository, BlobStore, ClipRepository, Item, ItemRepository, TextRepository } from '@tessera/db';
import { SharpImageRepository } from '@tessera/ingest/image';
import { alignCaptionsToClips, parseSubtitles, type TextCue } from '@tessera/ingest/text';
import { FfmpegMediaRepository, planClips, type Keyframe } from '@tessera/ingest/video';

/** Clip length when a video has no subtitles to cut along. */
const FIXED_CLIP_SECONDS = 10;
const MAX_THUMBNAILS = 24;

export interface ProcessMediaResult {
  itemId: string;
  kind: string;
  clips: number;
  thumbnails: number;
  notes: string[];
}

/**
 * Turns a stored video or image item into catalogue rows: probe, thumbnails and, for video,
 * clips cut along subtitle cues (or fixed windows) with their aligned captions. Re-running it
 * replaces what an earlier run wrote, so an interrupted job can simply start again.
 */
@Injectable()
export class ProcessMediaUsecase {
  private readonly logger = new Logger(ProcessMediaUsecase.name);

  constructor(
    private readonly items: ItemRepository,
    private readonly assets: AssetRepository,
    private readonly clips: ClipRepository,
    private readonly texts: TextRepository,
    private readonly blobs: BlobStore,
    private readonly ffmpeg: FfmpegMediaRepository,
    private readonly images: SharpImageRepository,
  ) {}

  async execute(itemId: string): Promise<ProcessMediaResult> {
    const item = await this.items.getById(itemId);
    try {
      const result = item.kind === 'video' ? await this.processVideo(item) : await this.processImage(item);
      await this.setIngestState(item.id, {
        state: 'ready',
        clips: result.clips,
        thumbnails: result.thumbnails,
        notes: result.notes,
      });
      return result;
    } catch (e) {
      await this.setIngestState(item.id, { state: 'failed', error: describeError(e) });
      throw e;
    }
  }

  private async originalPath(item: Item): Promise<string> {
    const assetId = item.metadata.originalAssetId;
    if (typeof assetId !== 'string')
      throw new InvalidInputError(`item ${item.id} has no stored media`, { itemId: item.id });
    const asset = await this.assets.getById(assetId);
    return this.blobs.locate(asset.contentHash);
  }

  private async processVideo(item: Item): Promise<ProcessMediaResult> {
    const path = await this.originalPath(item);
    const probe = await this.ffmpeg.probe(path);
    await this.assets.setProbe(item.metadata.originalAssetId as string, probe as unknown as Record<string, unknown>);
    const notes: string[] = [];

    let cues: TextCue[] = [];
    if (typeof item.metadata.subtitleAssetId === 'string') {
      const sub = await this.assets.getById(item.metadata.subtitleAssetId);
      const parsed = parseSubtitles(await readFile(await this.blobs.locate(sub.contentHash), 'utf8'));
      cues = parsed.cues;
      notes.push(...parsed.notes);
    } else {
      notes.push('no subtitles: cut into fixed clips without captions');
    }

    // the picture can end before the container does (Popeye: 60.1 s of video in 64.1 s); clips follow the picture
    const durationS = probe.videoStreams[0]?.durationS ?? probe.durationS;
    const plan = planFor(durationS, cues);
    const segmented = planClips(durationS, plan);
    notes.push(...segmented.notes.map((n) => `cue ${n.cueIndex} ${n.action}: ${n.reason}`));
    const spans = segmented.clips.map((c) => ({ ...c, id: String(c.index) }));
    const alignment = cues.length
      ? alignCaptionsToClips(spans, cues, { durationS })
      : {
          pairs: spans.map((clip) => ({ clip, caption: '' })),
          notes: [] as { cueIndex: number; action: string; reason: string }[],
        };
    for (const n of alignment.notes) notes.push(`caption ${n.cueIndex} ${n.action}: ${n.reason}`);

    const keyframes = await this.ffmpeg.keyframes(path, { count: Math.min(MAX_THUMBNAILS, Math.max(1, spans.length)) });
    const thumbs = await this.storeThumbnails(item.id, keyframes);
    const captionByIndex = new Map(alignment.pairs.map((p) => [p.clip.index, p.caption]));
    const clipRows = spans.map((c) => ({
      startS: c.startS,
      endS: c.endS,
      caption: captionByIndex.get(c.index) || null,
      thumbnailAssetId: nearestThumbnail(thumbs, (c.startS + c.endS) / 2),
    }));
    await this.clips.replaceForItem(item.id, clipRows);
    if (cues.length) {
      await this.texts.replaceField(item.id, 'subtitles', [
        { language: 'und', text: cues.map((c) => c.text).join('\n') },
      ]);
    }
    const video = probe.videoStreams[0];
    await this.patchMetadata(item.id, {
      durationS,
      width: video?.displayWidth ?? video?.width,
      height: video?.displayHeight ?? video?.height,
      hasAudio: probe.audioStreams.length > 0,
      thumbnailAssetId: thumbs[0]?.assetId,
    });
    this.logger.log({ msg: 'video ingested', itemId: item.id, clips: clipRows.length, thumbnails: thumbs.length });
    return { itemId: item.id, kind: 'video', clips: clipRows.length, thumbnails: thumbs.length, notes };
  }

  private async processImage(item: Item): Promise<ProcessMediaResult> {
    const path = await this.originalPath(item);
    const info = await this.images.describe(path);
    await this.assets.setProbe(item.metadata.originalAssetId as string, info as unknown as Record<string, unknown>);
    const thumb = await this.images.thumbnail(path, { width: 320, format: 'jpeg' });
    const [stored] = await this.storeThumbnails(item.id, [{ timeS: 0, jpeg: thumb, source: 'even' }]);
    await this.patchMetadata(item.id, { width: info.width, height: info.height, thumbnailAssetId: stored.assetId });
    return { itemId: item.id, kind: 'image', clips: 0, thumbnails: 1, notes: [] };
  }

  private async storeThumbnails(itemId: string, frames: Keyframe[]): Promise<{ timeS: number; assetId: string }[]> {
    const out: { timeS: number; assetId: string }[] = [];
    for (const frame of frames) {
      const blob = await this.blobs.put(frame.jpeg);
      const { asset } = await this.assets.upsertByHash({
        itemId,
        contentHash: blob.hash,
        mediaType: 'image/jpeg',
        bytes: blob.bytes,
        path: blob.path,
        probe: { role: 'thumbnail', timeS: frame.timeS, source: frame.source },
      });
      out.push({ timeS: frame.timeS, assetId: asset.id });
    }
    return out.sort((a, b) => a.timeS - b.timeS);
  }

  private async patchMetadata(itemId: string, patch: Record<string, unknown>): Promise<void> {
    const item = await this.items.getById(itemId);
    await this.items.update(itemId, { metadata: { ...item.metadata, ...patch } });
  }

  private async setIngestState(itemId: string, ingest: Record<string, unknown>): Promise<void> {
    await this.patchMetadata(itemId, { ingest: { ...ingest, at: new Date().toISOString() } });
  }
}

function planFor(durationS: number, cues: TextCue[]) {
  if (cues.length === 0)
    return { mode: 'fixed' as const, lengthS: Math.min(FIXED_CLIP_SECONDS, Math.max(1, durationS)) };
  return { mode: 'cues' as const, cues: cues.map((c) => ({ startS: c.startS, endS: c.endS, text: c.text })) };
}

function nearestThumbnail(thumbs: { timeS: number; assetId: string }[], timeS: number): string | null {
  let best: { d: number; id: string } | undefined;
  for (const t of thumbs) {
    const d = Math.abs(t.timeS - timeS);
    if (!best || d < best.d) best = { d, id: t.assetId };
  }
  return best?.id ?? null;
}
