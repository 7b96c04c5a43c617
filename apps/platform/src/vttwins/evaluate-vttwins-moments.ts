import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeError, stagedDataDir } from '@tessera/common';
import { ImportReportBuilder, readDidemo, readQvHighlights } from '@tessera/ingest/datasets';
import { FfmpegMediaRepository, planClips } from '@tessera/ingest/video';
import { momentRecallAt1, rankMomentWindows, type MomentRetrievalMetrics, type Window } from '@tessera/models/vttwins';
import type { VttwinsModel } from './vttwins-model.store';

/** Where a moment set's videos would be staged, by the name its annotations give them. */
const VIDEO_EXTENSIONS = ['mp4', 'mkv', 'webm', 'mov'];

/** One annotated query: its text, the video it is about (file name without folder) and the gold windows. */
export interface MomentQuery {
  query: string;
  video: string;
  windows: [number, number][];
}

export interface MomentRunResult extends MomentRetrievalMetrics {
  videos: number;
  /** Queries whose video is not staged. */
  skippedQueries: number;
  failed: { video: string; error: string }[];
}

export interface MomentSetStatus {
  name: 'qvhighlights-val' | 'didemo-val';
  status: 'skipped' | 'ready' | 'ran';
  reason: string;
  annotationFile: string;
  queries: number;
  videos: number;
  /** Annotated videos found on disk under `videoDir`. */
  stagedVideos: number;
  videoDir: string;
  /** What would be reported once videos are staged. */
  metrics: string[];
  /** R1@0.5/0.7 and mIoU over the queries of staged videos, when a model was given. */
  result?: MomentRunResult;
}

export interface MomentEvalReport {
  status: 'skipped' | 'partial' | 'ran';
  reason: string;
  sets: MomentSetStatus[];
}

/**
 * QVHighlights and DiDeMo moment retrieval (R1@IoU 0.5/0.7 of the top predicted window, metric
 * `momentRecallAt1`): the annotation sets are staged without their videos (YouTube and Flickr clips),
 * so this says what is there and why the evaluation cannot run, instead of silently reporting nothing.
 */
export async function describeMomentEvaluation(
  dataRoot?: string,
  run?: { model: VttwinsModel; ffmpeg?: FfmpegMediaRepository },
): Promise<MomentEvalReport> {
  const root = join(dataRoot ?? stagedDataDir(), 'video', 'annotations');
  const sets: MomentSetStatus[] = [];
  const metrics = ['R1@0.5', 'R1@0.7', 'mIoU'];
  const staged = (dir: string, names: Iterable<string>) => {
    let count = 0;
    for (const n of names)
      if (existsSync(join(dir, n)) || VIDEO_EXTENSIONS.some((e) => existsSync(join(dir, `${n}.${e}`)))) count++;
    return count;
  };

  const qvFile = join(root, 'qvhighlights', 'highlight_val_release.jsonl');
  const qvDir = join(root, 'qvhighlights', 'videos');
  if (existsSync(qvFile)) {
    const vids = new Set<string>();
    const queries: MomentQuery[] = [];
    for await (const q of readQvHighlights(qvFile, new ImportReportBuilder(100))) {
      queries.push({ query: q.query, video: q.vid, windows: q.relevantWindows });
      vids.add(q.vid);
    }
    const set = statusOf(
      'qvhighlights-val',
      qvFile,
      qvDir,
      queries.length,
      vids.size,
      staged(qvDir, vids),
      'YouTube clips',
    );
    sets.push(await maybeRun(set, queries));
  }
  const ddFile = join(root, 'didemo', 'val_data.json');
  const ddDir = join(root, 'didemo', 'videos');
  if (existsSync(ddFile)) {
    const vids = new Set<string>();
    const queries: MomentQuery[] = [];
    for await (const d of readDidemo(ddFile, new ImportReportBuilder(100))) {
      queries.push({ query: d.description, video: d.video, windows: d.windows });
      vids.add(d.video);
    }
    const set = statusOf('didemo-val', ddFile, ddDir, queries.length, vids.size, staged(ddDir, vids), 'Flickr videos');
    sets.push(await maybeRun(set, queries));
  }
  async function maybeRun(set: MomentSetStatus, queries: MomentQuery[]): Promise<MomentSetStatus> {
    if (set.stagedVideos === 0 || !run) return set;
    const result = await runMomentRetrieval(
      run.model,
      run.ffmpeg ?? new FfmpegMediaRepository(),
      set.videoDir,
      queries,
    );
    return {
      ...set,
      status: 'ran',
      reason: `ran on the ${result.videos} staged videos (${result.queries} queries; ${result.skippedQueries} queries of unstaged videos left out), model ${run.model.card.version}`,
      result,
    };
  }
  function statusOf(
    name: MomentSetStatus['name'],
    annotationFile: string,
    videoDir: string,
    queries: number,
    videos: number,
    stagedVideos: number,
    where: string,
  ): MomentSetStatus {
    const reason =
      stagedVideos === 0
        ? `skipped: ${queries} queries over ${videos} videos are annotated, but none of the videos is staged (${where}, not redistributed with the annotations; expected under ${videoDir})`
        : `${stagedVideos} of ${videos} videos staged; the moment run needs a VT-TWINS version trained on that domain (not run here)`;
    return {
      name,
      status: stagedVideos === 0 ? 'skipped' : 'ready',
      reason,
      annotationFile,
      queries,
      videos,
      stagedVideos,
      videoDir,
      metrics,
    };
  }
  if (sets.length === 0)
    return { status: 'skipped', reason: `no QVHighlights or DiDeMo annotations under ${root}`, sets };
  return {
    status: sets.every((s) => s.status === 'skipped')
      ? 'skipped'
      : sets.every((s) => s.status === 'ran')
        ? 'ran'
        : 'partial',
    reason: sets.map((s) => `${s.name}: ${s.reason}`).join('; '),
    sets,
  };
}

/** A staged video of a moment set: the annotation's name as is, or with a video extension added. */
function stagedVideoPath(dir: string, name: string): string | undefined {
  if (existsSync(join(dir, name))) return join(dir, name);
  for (const e of VIDEO_EXTENSIONS) if (existsSync(join(dir, `${name}.${e}`))) return join(dir, `${name}.${e}`);
  return undefined;
}

/**
 * Moment retrieval on the staged videos of a set: each video cut into fixed `clipSeconds` windows
 * (2 s, QVHighlights' clip length) and embedded once; each query ranks runs of up to `maxClips`
 * consecutive clips by mean similarity; the top window is scored by R1@IoU 0.5/0.7 and mIoU.
 * Queries of videos that are not staged are left out and counted; a video that fails is listed.
 */
export async function runMomentRetrieval(
  model: VttwinsModel,
  ffmpeg: FfmpegMediaRepository,
  videoDir: string,
  queries: MomentQuery[],
  opts: { clipSeconds?: number; maxClips?: number } = {},
): Promise<MomentRunResult> {
  const clipSeconds = opts.clipSeconds ?? 2;
  const { video: v } = model.card;
  const byVideo = new Map<string, MomentQuery[]>();
  for (const q of queries) byVideo.set(q.video, [...(byVideo.get(q.video) ?? []), q]);
  const predicted: Window[][] = [];
  const gold: Window[][] = [];
  const failed: { video: string; error: string }[] = [];
  let skippedQueries = 0;
  let videos = 0;
  for (const [name, qs] of byVideo) {
    const path = stagedVideoPath(videoDir, name);
    if (!path) {
      skippedQueries += qs.length;
      continue;
    }
    try {
      const probe = await ffmpeg.probe(path);
      const durationS = probe.videoStreams[0]?.durationS ?? probe.durationS;
      const plan = planClips(durationS, { mode: 'fixed', lengthS: clipSeconds });
      const sampled = await ffmpeg.sampleClips(path, plan.clips, {
        fps: Math.max(1, v.frames / clipSeconds),
        width: v.width,
        height: v.height,
        maxFramesPerClip: v.frames,
      });
      const n = sampled.clips.length;
      const frameSize = v.height * v.width * v.channels;
      const frames = new Uint8Array(n * v.frames * frameSize);
      sampled.clips.forEach((c, k) => {
        for (let f = 0; f < v.frames; f++) {
          const src = c.frames[Math.min(f, c.frames.length - 1)];
          if (src) frames.set(src, (k * v.frames + f) * frameSize);
        }
      });
      const clipVectors = await model.video.embed(frames, n);
      const textVectors = await model.text.embed(await model.tokenize(qs.map((q) => q.query)), qs.length);
      const sim = tf.tidy(() =>
        tf.matMul(
          tf.tensor2d(textVectors, [qs.length, model.card.text.jointDim]),
          tf.tensor2d(clipVectors, [n, v.jointDim]),
          false,
          true,
        ),
      );
      const scores = (await sim.data()) as Float32Array;
      sim.dispose();
      const times = plan.clips.map((c) => [c.startS, c.endS] as const);
      qs.forEach((q, k) => {
        const ranked = rankMomentWindows(scores.subarray(k * n, (k + 1) * n), times, {
          maxClips: opts.maxClips,
          limit: 1,
        });
        predicted.push(ranked.map((r) => r.window));
        gold.push(q.windows);
      });
      videos++;
    } catch (e) {
      failed.push({ video: name, error: describeError(e) });
    }
  }
  if (gold.length === 0) return { 'R1@0.5': 0, 'R1@0.7': 0, mIoU: 0, queries: 0, videos, skippedQueries, failed };
  return { ...momentRecallAt1(predicted, gold), videos, skippedQueries, failed };
}
