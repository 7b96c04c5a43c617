import { Injectable } from '@nestjs/common';
import { InvalidInputError, isTesseraError, NotFoundError, TesseraError, UnsupportedMediaError } from '@tessera/common';
import { ClipRepository } from '@tessera/db';
import { FfmpegMediaRepository, planClips } from '@tessera/ingest/video';
import { Filter, ScoredPoint, VectorStore } from '@tessera/vector-store';
import { pointIdFor } from '../coldstart/catalogue-point-id';
import { sniffStoredFile } from '../ingest/media-kind';
import { VTTWINS_CAPTIONS_ALIAS, VTTWINS_CLIPS_ALIAS, type VttwinsModel } from './vttwins-model.store';
import { VttwinsModels } from './vttwins-models.service';

/** Longest video accepted as a search query; longer ones are refused rather than cut. */
export const MAX_QUERY_VIDEO_SECONDS = 120;
/** A query video is cut into windows this long, embedded one by one and averaged. */
export const QUERY_CLIP_SECONDS = 4;
/** Frames per second sampled from a query video's windows (as when clips are embedded). */
const QUERY_SAMPLE_FPS = 2;

export interface SegmentHit {
  itemId: string;
  clipId: string;
  title: string | null;
  start: number;
  end: number;
  score: number;
  caption: string | null;
  thumbnailUrl: string | null;
}

export interface SearchPage {
  limit?: number;
  offset?: number;
  filter?: Filter | null;
  exclude?: string[];
  scoreThreshold?: number;
}

function toSegment(p: ScoredPoint): SegmentHit {
  const x = (p.payload ?? {}) as {
    itemId: string;
    clipId: string;
    title: string | null;
    start: number;
    end: number;
    caption: string | null;
    thumbnailAssetId: string | null;
  };
  return {
    itemId: x.itemId,
    clipId: x.clipId,
    title: x.title ?? null,
    start: x.start,
    end: x.end,
    score: p.score,
    caption: x.caption ?? null,
    thumbnailUrl: x.thumbnailAssetId ? `/assets/${x.thumbnailAssetId}/content` : null,
  };
}

/** Video-text search in the VT-TWINS joint space: text → ranked clips, clip → nearest captions. */
@Injectable()
export class SearchVideoUsecase {
  constructor(
    private readonly models: VttwinsModels,
    private readonly vectors: VectorStore,
    private readonly clips: ClipRepository,
    private readonly ffmpeg: FfmpegMediaRepository,
  ) {}

  /**
   * The version whose vectors the search aliases hold (a newer version trained without embedding must
   * not embed queries against an older version's vectors: same dimension, unrelated spaces).
   */
  async servingModel(): Promise<VttwinsModel> {
    const alias = (await this.vectors.listAliases()).find((a) => a.alias === VTTWINS_CLIPS_ALIAS);
    if (!alias) throw new NotFoundError('no clips are embedded for search yet (tessera train vttwins embeds them)');
    const version = /^vttwins_clips_(.+)_\d+$/.exec(alias.collection)?.[1];
    if (!version)
      throw new NotFoundError(`alias ${VTTWINS_CLIPS_ALIAS} points at ${alias.collection}, not a VT-TWINS collection`);
    return this.models.get(version);
  }

  async clipsForText(query: string, page: SearchPage = {}) {
    const model = await this.servingModel();
    const vector = await model.embedQuery(query);
    const points = await this.vectors.search(VTTWINS_CLIPS_ALIAS, this.request(vector, page));
    return {
      modelVersion: model.card.version,
      query,
      hits: points.map(toSegment),
      limit: page.limit ?? 10,
      offset: page.offset ?? 0,
    };
  }

  async captionsForClip(clipId: string, page: SearchPage = {}) {
    const model = await this.servingModel();
    await this.clips.getById(clipId);
    const [point] = await this.vectors.get(VTTWINS_CLIPS_ALIAS, [pointIdFor(clipId)], { withVector: true });
    const vector = point?.vector;
    if (!Array.isArray(vector)) throw new NotFoundError(`clip ${clipId} is not embedded yet (tessera train vttwins)`);
    const points = await this.vectors.search(VTTWINS_CAPTIONS_ALIAS, this.request(vector, page));
    return {
      modelVersion: model.card.version,
      clipId,
      hits: points.map(toSegment),
      limit: page.limit ?? 10,
      offset: page.offset ?? 0,
    };
  }

  /**
   * A short uploaded video in, the nearest captions out: the file must be a video by its bytes (else
   * UnsupportedMediaError), decodable (else InvalidInputError) and at most MAX_QUERY_VIDEO_SECONDS long;
   * it is cut into QUERY_CLIP_SECONDS windows whose clip embeddings are averaged into one query.
   */
  async captionsForVideo(file: { path: string; filename?: string }, page: SearchPage = {}) {
    const model = await this.servingModel();
    const name = file.filename ?? 'the uploaded file';
    const media = await sniffStoredFile(file.path, name);
    if (media.kind !== 'video')
      throw new UnsupportedMediaError(
        `${name} is ${media.kind === 'text' ? 'text' : `an image (${media.format})`}, not a video`,
        {
          filename: name,
          found: media.format,
        },
      );
    const { video } = model.card;
    const { durationS, sampled } = await this.hidePath(file.path, name, async () => {
      const probe = await this.ffmpeg.probe(file.path);
      const stream = probe.videoStreams[0];
      if (!stream) throw new UnsupportedMediaError(`${name} has no video stream`, { filename: name });
      const duration = stream.durationS ?? probe.durationS;
      if (!(duration > 0)) throw new InvalidInputError(`${name} has no playable duration`, { filename: name });
      if (duration > MAX_QUERY_VIDEO_SECONDS)
        throw new InvalidInputError(
          `${name} is ${duration.toFixed(1)} s long; a query video may be at most ${MAX_QUERY_VIDEO_SECONDS} s`,
          { filename: name, durationS: duration, maxS: MAX_QUERY_VIDEO_SECONDS },
        );
      const plan = planClips(duration, { mode: 'fixed', lengthS: QUERY_CLIP_SECONDS });
      const frames = await this.ffmpeg.sampleClips(file.path, plan.clips, {
        fps: QUERY_SAMPLE_FPS,
        width: video.width,
        height: video.height,
        maxFramesPerClip: video.frames,
      });
      return { durationS: duration, sampled: frames };
    });
    const frameSize = video.height * video.width * video.channels;
    const n = sampled.clips.length;
    const frames = new Uint8Array(n * video.frames * frameSize);
    sampled.clips.forEach((c, k) => {
      for (let f = 0; f < video.frames; f++) {
        const src = c.frames[Math.min(f, c.frames.length - 1)];
        if (src) frames.set(src, (k * video.frames + f) * frameSize);
      }
    });
    const vectors = await model.video.embed(frames, n);
    const d = video.jointDim;
    const query = new Float32Array(d);
    for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) query[j] += vectors[k * d + j];
    const norm = Math.hypot(...query) || 1;
    for (let j = 0; j < d; j++) query[j] /= norm;
    const points = await this.vectors.search(VTTWINS_CAPTIONS_ALIAS, this.request(query, page));
    return {
      modelVersion: model.card.version,
      video: { filename: file.filename ?? null, durationS, clips: n },
      hits: points.map(toSegment),
      limit: page.limit ?? 10,
      offset: page.offset ?? 0,
    };
  }

  /** Media errors name the server's temporary path; the caller knows the file by its name. */
  private async hidePath<T>(path: string, name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      const scrub = (x: string) => x.split(path).join(name);
      const { path: _path, ...rest } = e.details;
      const details = JSON.parse(scrub(JSON.stringify(rest))) as Record<string, unknown>;
      const Ctor = e.constructor as new (m: string, d: Record<string, unknown>, o: { cause: unknown }) => TesseraError;
      throw new Ctor(scrub(e.message), { ...details, filename: name }, { cause: e });
    }
  }

  private request(vector: ArrayLike<number>, page: SearchPage) {
    return {
      vector: Array.from(vector),
      limit: page.limit ?? 10,
      offset: page.offset ?? 0,
      filter: page.filter ?? null,
      scoreThreshold: page.scoreThreshold,
      exclude: (page.exclude ?? []).map(pointIdFor),
      withPayload: true,
    };
  }
}
