import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ImportReportBuilder } from './import-report';
import { readLines } from './line-reader';
import type { DidemoMomentRecord, MomentQueryRecord } from './dataset-records';

/** DiDeMo segments are 5 seconds long. */
export const DIDEMO_SEGMENT_SECONDS = 5;

const VID = /^(.+)_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)$/;

/** QVHighlights JSONL: one query per line; the test split has no labels. */
export async function* readQvHighlights(path: string, report: ImportReportBuilder): AsyncGenerator<MomentQueryRecord> {
  const file = basename(path);
  for await (const { line, text } of readLines(path)) {
    if (text.trim() === '') continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      report.skip(file, line, `invalid JSON: ${(e as Error).message}`);
      continue;
    }
    const { qid, query, duration, vid } = row;
    if (
      typeof qid !== 'number' ||
      typeof query !== 'string' ||
      typeof duration !== 'number' ||
      typeof vid !== 'string'
    ) {
      report.skip(file, line, 'missing qid, query, duration or vid');
      continue;
    }
    const m = VID.exec(vid);
    if (!m) {
      report.skip(file, line, `vid "${vid}" is not {youtubeId}_{start}_{end}`);
      continue;
    }
    const windows = (row.relevant_windows ?? []) as unknown;
    if (!isWindowList(windows) || windows.some(([s, e]) => s < 0 || e < s || s > duration)) {
      report.skip(file, line, 'relevant_windows is not a list of [start<=end] inside the clip');
      continue;
    }
    report.count('queries');
    yield {
      qid,
      query,
      duration,
      vid,
      youtubeId: m[1],
      clipStart: Number(m[2]),
      clipEnd: Number(m[3]),
      relevantWindows: windows,
      relevantClipIds: Array.isArray(row.relevant_clip_ids) ? (row.relevant_clip_ids as number[]) : [],
      saliencyScores: Array.isArray(row.saliency_scores) ? (row.saliency_scores as number[][]) : [],
    };
  }
}

function isWindowList(v: unknown): v is [number, number][] {
  return (
    Array.isArray(v) &&
    v.every((w) => Array.isArray(w) && w.length === 2 && w.every((x) => typeof x === 'number' && Number.isFinite(x)))
  );
}

/**
 * DiDeMo val_data.json (a JSON array, read whole: 2.5 MB). `times` holds four
 * annotators' inclusive [start, end] segment indices; seconds = [5s, 5(e+1)].
 * `line` in skip reports is the 1-based array index.
 */
export async function* readDidemo(path: string, report: ImportReportBuilder): AsyncGenerator<DidemoMomentRecord> {
  const file = basename(path);
  let rows: unknown;
  try {
    rows = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    report.skip(file, 0, `invalid JSON: ${(e as Error).message}`);
    return;
  }
  if (!Array.isArray(rows)) {
    report.skip(file, 0, 'top level is not an array');
    return;
  }
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Record<string, unknown>;
    const times = r?.times;
    const numSegments = typeof r?.num_segments === 'number' ? r.num_segments : 6;
    if (
      typeof r?.annotation_id !== 'number' ||
      typeof r.description !== 'string' ||
      typeof r.video !== 'string' ||
      !isWindowList(times) ||
      times.some(([s, e]) => !Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e < s || e >= numSegments)
    ) {
      report.skip(file, i + 1, 'missing fields or segment indices outside 0..num_segments-1');
      continue;
    }
    report.count('moments');
    yield {
      annotationId: r.annotation_id,
      description: r.description,
      video: r.video,
      numSegments,
      segmentTimes: times,
      windows: times.map(
        ([s, e]) => [s * DIDEMO_SEGMENT_SECONDS, (e + 1) * DIDEMO_SEGMENT_SECONDS] as [number, number],
      ),
    };
  }
}
