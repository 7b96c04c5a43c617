import { Injectable } from '@nestjs/common';
import type { JobContext } from '@tessera/jobs';
import { OnJob } from '@tessera/jobs';
import { ImportDatasetResult, ImportDatasetUsecase } from '../datasets/import-dataset.usecase';
import {
  IMPORT_DATASET_JOB,
  ImportDatasetPayload,
  INGEST_FOLDER_JOB,
  INGEST_MEDIA_JOB,
  IngestFolderPayload,
  IngestMediaPayload,
} from './ingest-jobs';
import { IngestFolderReport, IngestFolderUsecase } from './ingest-folder.usecase';
import { ProcessMediaResult, ProcessMediaUsecase } from './process-media.usecase';

/** Job handlers for ingestion; thin: payload in, use case, report out. */
@Injectable()
export class IngestProcessors {
  constructor(
    private readonly processMedia: ProcessMediaUsecase,
    private readonly ingestFolder: IngestFolderUsecase,
    private readonly importDataset: ImportDatasetUsecase,
  ) {}

  @OnJob(IMPORT_DATASET_JOB)
  async dataset(ctx: JobContext<ImportDatasetPayload>): Promise<ImportDatasetResult> {
    await ctx.reportProgress(0, 1, `importing ${ctx.payload.dataset}`);
    const result = await this.importDataset.execute(ctx.payload);
    for (const s of result.report.skipped.slice(0, 100))
      await ctx.reportItemError(`${s.file}:${s.line}`, new Error(s.reason));
    await ctx.reportProgress(1, 1, 'done');
    return result;
  }

  @OnJob(INGEST_MEDIA_JOB)
  async media(ctx: JobContext<IngestMediaPayload>): Promise<ProcessMediaResult> {
    await ctx.reportProgress(0, 1, 'processing');
    const result = await this.processMedia.execute(ctx.payload.itemId);
    await ctx.reportProgress(1, 1, 'done');
    return result;
  }

  @OnJob(INGEST_FOLDER_JOB)
  async folder(ctx: JobContext<IngestFolderPayload>): Promise<IngestFolderReport> {
    const done = new Set<string>((ctx.checkpoint as { done?: string[] } | null)?.done ?? []);
    let total = 0;
    return this.ingestFolder.execute({
      path: ctx.payload.path,
      done,
      signal: ctx.signal,
      progress: {
        start: (t) => {
          total = t;
        },
        update: (n) => void ctx.reportProgress(n, total, 'files'),
        stop: () => undefined,
      },
      onFileDone: async (relPath) => {
        done.add(relPath);
        await ctx.saveCheckpoint({ done: [...done] });
      },
      onItemError: (relPath, error) => ctx.reportItemError(relPath, error),
    });
  }
}
