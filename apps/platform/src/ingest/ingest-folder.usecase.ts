import { Injectable } from '@nestjs/common';
import { basename, dirname, extname } from 'node:path';
import { describeError, ProgressReporter, silentProgress } from '@tessera/common';
import { ImportReportBuilder, scanMediaFolder, type MediaFileRecord } from '@tessera/ingest/datasets';
import { ProcessMediaUsecase } from './process-media.usecase';
import { StoreUploadUsecase } from './store-upload.usecase';

const SUBTITLE_EXTENSIONS = new Set(['.srt', '.vtt']);

export interface IngestFolderCommand {
  /** Absolute path; callers check it against their allowed root first. */
  path: string;
  /** Relative paths finished by an earlier, interrupted run: skipped. */
  done?: Iterable<string>;
  progress?: ProgressReporter;
  /** Called after each file, so a job can checkpoint. */
  onFileDone?: (relPath: string) => Promise<void>;
  onItemError?: (relPath: string, error: unknown) => Promise<void>;
  signal?: AbortSignal;
}

export interface IngestFolderReport {
  created: { relPath: string; itemId: string; kind: string; clips?: number }[];
  unchanged: { relPath: string; itemId: string }[];
  failed: { relPath: string; error: string }[];
  skipped: { relPath: string; reason: string }[];
}

/**
 * A subtitle file belongs to the video whose name it starts with (`clip.mkv` ← `clip.eng.srt`);
 * in a folder with a single video, the first remaining subtitle file belongs to it.
 */
export function pairSubtitles(files: MediaFileRecord[]): {
  media: MediaFileRecord[];
  subtitlesFor: Map<string, MediaFileRecord>;
} {
  const videos = files.filter((f) => f.kind === 'video');
  const subtitlesFor = new Map<string, MediaFileRecord>();
  const used = new Set<string>();
  for (const sub of files.filter((f) => SUBTITLE_EXTENSIONS.has(extname(f.relPath).toLowerCase()))) {
    const video = videos.find((v) => {
      const stem = basename(v.relPath, extname(v.relPath));
      return dirname(v.relPath) === dirname(sub.relPath) && basename(sub.relPath).startsWith(`${stem}.`);
    });
    // the first subtitle found wins; other languages stay ordinary text items
    if (video && !subtitlesFor.has(video.relPath)) {
      subtitlesFor.set(video.relPath, sub);
      used.add(sub.relPath);
    }
  }
  for (const video of videos) {
    const sameDir = (f: MediaFileRecord) => dirname(f.relPath) === dirname(video.relPath);
    if (subtitlesFor.has(video.relPath) || videos.filter(sameDir).length !== 1) continue;
    const spare = files
      .filter((f) => sameDir(f) && SUBTITLE_EXTENSIONS.has(extname(f.relPath).toLowerCase()) && !used.has(f.relPath))
      .sort((a, b) => (a.relPath < b.relPath ? -1 : 1))[0];
    if (spare) {
      subtitlesFor.set(video.relPath, spare);
      used.add(spare.relPath);
    }
  }
  return { media: files.filter((f) => !used.has(f.relPath)), subtitlesFor };
}

/** Ingests every video, image and text file of a folder; one bad file never stops the rest. */
@Injectable()
export class IngestFolderUsecase {
  constructor(
    private readonly storeUpload: StoreUploadUsecase,
    private readonly processMedia: ProcessMediaUsecase,
  ) {}

  async execute(cmd: IngestFolderCommand): Promise<IngestFolderReport> {
    const scan = new ImportReportBuilder();
    const files: MediaFileRecord[] = [];
    for await (const f of scanMediaFolder(cmd.path, scan)) files.push(f);
    const report: IngestFolderReport = {
      created: [],
      unchanged: [],
      failed: [],
      skipped: scan.toReport().skipped.map((s) => ({ relPath: s.file, reason: s.reason })),
    };
    const { media, subtitlesFor } = pairSubtitles(files);
    const done = new Set(cmd.done ?? []);
    const progress = cmd.progress ?? silentProgress;
    progress.start(media.length);
    let n = 0;
    for (const file of media) {
      if (cmd.signal?.aborted) break;
      if (!done.has(file.relPath)) {
        try {
          const sub = subtitlesFor.get(file.relPath);
          const stored = await this.storeUpload.execute({
            source: { path: file.absPath },
            filename: basename(file.relPath),
            title: basename(file.relPath, extname(file.relPath)),
            origin: 'folder',
            metadata: { relPath: file.relPath },
            subtitles: sub ? { source: { path: sub.absPath }, filename: basename(sub.relPath) } : undefined,
          });
          const processed = stored.needsProcessing ? await this.processMedia.execute(stored.item.id) : undefined;
          if (stored.created || processed)
            report.created.push({
              relPath: file.relPath,
              itemId: stored.item.id,
              kind: stored.item.kind,
              clips: processed?.clips,
            });
          else report.unchanged.push({ relPath: file.relPath, itemId: stored.item.id });
        } catch (e) {
          report.failed.push({ relPath: file.relPath, error: describeError(e) });
          await cmd.onItemError?.(file.relPath, e);
        }
        await cmd.onFileDone?.(file.relPath);
      }
      progress.update(++n, { failed: report.failed.length });
    }
    progress.stop();
    return report;
  }
}
