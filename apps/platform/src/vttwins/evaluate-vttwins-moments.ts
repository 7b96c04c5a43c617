import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@tessera/common';
import { ImportReportBuilder, readDidemo, readQvHighlights } from '@tessera/ingest/datasets';

/** Where a moment set's videos would be staged, by the name its annotations give them. */
const VIDEO_EXTENSIONS = ['mp4', 'mkv', 'webm', 'mov'];

export interface MomentSetStatus {
  name: 'qvhighlights-val' | 'didemo-val';
  status: 'skipped' | 'ready';
  reason: string;
  annotationFile: string;
  queries: number;
  videos: number;
  /** Annotated videos found on disk under `videoDir`. */
  stagedVideos: number;
  videoDir: string;
  /** What would be reported once videos are staged. */
  metrics: string[];
}

export interface MomentEvalReport {
  status: 'skipped' | 'partial';
  reason: string;
  sets: MomentSetStatus[];
}

/**
 * QVHighlights and DiDeMo moment retrieval (R1@IoU 0.5/0.7 of the top predicted window, metric
 * `momentRecallAt1`): the annotation sets are staged without their videos (YouTube and Flickr clips),
 * so this says what is there and why the evaluation cannot run, instead of silently reporting nothing.
 */
export async function describeMomentEvaluation(dataRoot?: string): Promise<MomentEvalReport> {
  const root = join(dataRoot ?? join(projectRoot(), '..', 'shared', 'data'), 'video', 'annotations');
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
    let queries = 0;
    for await (const q of readQvHighlights(qvFile, new ImportReportBuilder(100))) {
      queries++;
      vids.add(q.vid);
    }
    sets.push(statusOf('qvhighlights-val', qvFile, qvDir, queries, vids.size, staged(qvDir, vids), 'YouTube clips'));
  }
  const ddFile = join(root, 'didemo', 'val_data.json');
  const ddDir = join(root, 'didemo', 'videos');
  if (existsSync(ddFile)) {
    const vids = new Set<string>();
    let queries = 0;
    for await (const d of readDidemo(ddFile, new ImportReportBuilder(100))) {
      queries++;
      vids.add(d.video);
    }
    sets.push(statusOf('didemo-val', ddFile, ddDir, queries, vids.size, staged(ddDir, vids), 'Flickr videos'));
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
    status: sets.every((s) => s.status === 'skipped') ? 'skipped' : 'partial',
    reason: sets.map((s) => `${s.name}: ${s.reason}`).join('; '),
    sets,
  };
}
