import { Injectable } from '@nestjs/common';
import { InvalidInputError, type ProgressReporter } from '@tessera/common';
import { TrainingDivergedError } from '@tessera/alignment/preference';
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
    const out = await this.train
      .execute({
        ...ctx.payload,
        version: ctx.payload.version ?? `sft-job-${ctx.jobId.slice(-12)}`,
        progress: jobProgress(ctx, 'sft'),
      })
      .catch(permanentIfDiverged);
    return { version: out.version, metrics: out.card.metrics, resumedFromStep: out.resumedFromStep };
  }

  @OnJob(ALIGN_LM_JOB)
  async alignJob(ctx: JobContext<AlignLmPayload>) {
    const out = await this.align
      .execute({
        ...ctx.payload,
        version: ctx.payload.version ?? `${ctx.payload.algorithm}-job-${ctx.jobId.slice(-12)}`,
        progress: jobProgress(ctx, ctx.payload.algorithm),
      })
      .catch(permanentIfDiverged);
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

/** A diverged run would diverge again with the same settings: fail the job at once instead of retrying it. */
function permanentIfDiverged(e: unknown): never {
  if (e instanceof TrainingDivergedError)
    throw new InvalidInputError(`${e.message} (not retried: rerun with a lower learning rate)`, e.details, {
      cause: e,
    });
  throw e;
}
