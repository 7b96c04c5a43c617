import { Injectable } from '@nestjs/common';
import type { ProgressReporter } from '@tessera/common';
import { OnJob, type JobContext } from '@tessera/jobs';
import { AlignLmCommand, AlignLmUsecase } from './align-lm.usecase';
import { TrainLmCommand, TrainLmUsecase } from './train-lm.usecase';

export const TRAIN_LM_JOB = 'train.lm';
export const ALIGN_LM_JOB = 'align.lm';

export type TrainLmPayload = Omit<TrainLmCommand, 'progress'>;
export type AlignLmPayload = Omit<AlignLmCommand, 'progress'>;

/** SFT and preference training as jobs; a stable version per job, so a retried SFT attempt resumes its checkpoint. */
@Injectable()
export class LmProcessors {
  constructor(
    private readonly train: TrainLmUsecase,
    private readonly align: AlignLmUsecase,
  ) {}

  @OnJob(TRAIN_LM_JOB)
  async trainJob(ctx: JobContext<TrainLmPayload>) {
    const out = await this.train.execute({
      ...ctx.payload,
      version: ctx.payload.version ?? `sft-job-${ctx.jobId.slice(-12)}`,
      progress: jobProgress(ctx, 'sft'),
    });
    return { version: out.version, metrics: out.card.metrics, resumedFromStep: out.resumedFromStep };
  }

  @OnJob(ALIGN_LM_JOB)
  async alignJob(ctx: JobContext<AlignLmPayload>) {
    const out = await this.align.execute({
      ...ctx.payload,
      version: ctx.payload.version ?? `${ctx.payload.algorithm}-job-${ctx.jobId.slice(-12)}`,
      progress: jobProgress(ctx, ctx.payload.algorithm),
    });
    return { version: out.version, reference: out.card.reference, metrics: out.card.metrics };
  }
}

function jobProgress(ctx: JobContext<unknown>, stage: string): ProgressReporter {
  let total = 0;
  return {
    start: (t) => void (total = t),
    update: (n) => void ctx.reportProgress(n, total, stage),
    stop: () => undefined,
  };
}
