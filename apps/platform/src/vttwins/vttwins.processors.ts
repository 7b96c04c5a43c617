import { Injectable } from '@nestjs/common';
import { OnJob, type JobContext } from '@tessera/jobs';
import { EmbedClipsUsecase } from './embed-clips.usecase';
import { TrainVttwinsCommand, TrainVttwinsUsecase } from './train-vttwins.usecase';

export const TRAIN_VTTWINS_JOB = 'train.vttwins';

/** Train VT-TWINS on the ingested videos, then embed their clips and captions for search. */
@Injectable()
export class VttwinsProcessors {
  constructor(
    private readonly train: TrainVttwinsUsecase,
    private readonly embed: EmbedClipsUsecase,
  ) {}

  @OnJob(TRAIN_VTTWINS_JOB)
  async trainJob(ctx: JobContext<Omit<TrainVttwinsCommand, 'progress'>>) {
    let total = 0;
    const trained = await this.train.execute({
      ...ctx.payload,
      version: ctx.payload.version ?? `job-${ctx.jobId.slice(-12)}`,
      // a retried or restarted job continues from the last checkpoint of its earlier attempt
      resume: 'auto',
      progress: {
        start: (t) => void (total = t),
        update: (n) => void ctx.reportProgress(n, total + 1, 'training'),
        stop: () => undefined,
      },
    });
    if (!trained.finished) return { version: trained.version, finished: false, metrics: trained.card.metrics };
    const embedded = await this.embed.execute({ version: trained.version });
    await ctx.reportProgress(total + 1, total + 1, 'done');
    for (const s of trained.skipped) await ctx.reportItemError(s.itemId, new Error(s.reason));
    return { version: trained.version, metrics: trained.card.metrics, embedded };
  }
}
