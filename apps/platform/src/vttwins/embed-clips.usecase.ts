import { Injectable } from '@nestjs/common';
import { describeError, ProgressReporter, silentProgress } from '@tessera/common';
import { AssetRepository, BlobStore, ClipRepository, ItemRepository } from '@tessera/db';
import { FfmpegMediaRepository } from '@tessera/ingest/video';
import { VectorStore, type AliasOperation } from '@tessera/vector-store';
import { pointIdFor } from '../coldstart/catalogue-point-id';
import { VTTWINS_CAPTIONS_ALIAS, VTTWINS_CLIPS_ALIAS } from './vttwins-model.store';
import { VttwinsModels } from './vttwins-models.service';

/**
 * Embeds every clip (frames) and every caption (text) of the catalogue's videos with a VT-TWINS
 * version into fresh collections, then switches the two search aliases to them.
 */
@Injectable()
export class EmbedClipsUsecase {
  constructor(
    private readonly models: VttwinsModels,
    private readonly items: ItemRepository,
    private readonly clips: ClipRepository,
    private readonly assets: AssetRepository,
    private readonly blobs: BlobStore,
    private readonly ffmpeg: FfmpegMediaRepository,
    private readonly vectors: VectorStore,
  ) {}

  async execute(cmd: { version?: string; progress?: ProgressReporter } = {}) {
    const model = await this.models.get(cmd.version);
    const { video, text } = model.card;
    const run = Date.now();
    const clipsCollection = `vttwins_clips_${model.card.version}_${run}`;
    const captionsCollection = `vttwins_captions_${model.card.version}_${run}`;
    await this.vectors.createCollection(clipsCollection, { vectors: { size: video.jointDim, distance: 'Cosine' } });
    await this.vectors.createCollection(captionsCollection, { vectors: { size: text.jointDim, distance: 'Cosine' } });
    const videos = await this.items.list({ kind: 'video', limit: 10_000 });
    const progress = cmd.progress ?? silentProgress;
    progress.start(videos.length);
    let clipCount = 0;
    const failed: { itemId: string; error: string }[] = [];
    for (const [i, item] of videos.entries()) {
      try {
        const clips = await this.clips.listForItem(item.id);
        if (clips.length === 0) continue;
        const asset = await this.assets.getById(String(item.metadata.originalAssetId));
        const sampled = await this.ffmpeg.sampleClips(await this.blobs.locate(asset.contentHash), clips, {
          fps: 2,
          width: video.width,
          height: video.height,
          maxFramesPerClip: video.frames,
        });
        const frameSize = video.height * video.width * video.channels;
        const frames = new Uint8Array(clips.length * video.frames * frameSize);
        sampled.clips.forEach((c, k) => {
          for (let f = 0; f < video.frames; f++) {
            const src = c.frames[Math.min(f, c.frames.length - 1)];
            if (src) frames.set(src, (k * video.frames + f) * frameSize);
          }
        });
        const clipVectors = await model.video.embed(frames, clips.length);
        const payload = (k: number) => ({
          itemId: item.id,
          clipId: clips[k].id,
          title: item.title,
          start: clips[k].startS,
          end: clips[k].endS,
          caption: clips[k].caption,
          thumbnailAssetId: clips[k].thumbnailAssetId,
          modelVersion: model.card.version,
        });
        const d = video.jointDim;
        await this.vectors.upsert(
          clipsCollection,
          clips.map((c, k) => ({
            id: pointIdFor(c.id),
            vector: clipVectors.subarray(k * d, (k + 1) * d),
            payload: payload(k),
          })),
        );
        const captioned = clips.map((c, k) => ({ c, k })).filter(({ c }) => c.caption);
        if (captioned.length) {
          const ids = await model.tokenize(captioned.map(({ c }) => c.caption!));
          const textVectors = await model.text.embed(ids, captioned.length);
          const t = text.jointDim;
          await this.vectors.upsert(
            captionsCollection,
            captioned.map(({ c, k }, j) => ({
              id: pointIdFor(c.id),
              vector: textVectors.subarray(j * t, (j + 1) * t),
              payload: payload(k),
            })),
          );
        }
        clipCount += clips.length;
      } catch (e) {
        failed.push({ itemId: item.id, error: describeError(e) });
      }
      progress.update(i + 1);
    }
    progress.stop();
    const aliases = await this.vectors.listAliases();
    const ops: AliasOperation[] = [];
    const old: string[] = [];
    for (const [alias, collection] of [
      [VTTWINS_CLIPS_ALIAS, clipsCollection],
      [VTTWINS_CAPTIONS_ALIAS, captionsCollection],
    ]) {
      const previous = aliases.find((a) => a.alias === alias)?.collection;
      if (previous) {
        ops.push({ deleteAlias: { alias } });
        old.push(previous);
      }
      ops.push({ createAlias: { alias, collection } });
    }
    await this.vectors.updateAliases(ops);
    for (const c of old) await this.vectors.deleteCollection(c);
    return {
      version: model.card.version,
      clips: clipCount,
      videos: videos.length,
      failed,
      collections: [clipsCollection, captionsCollection],
    };
  }
}
