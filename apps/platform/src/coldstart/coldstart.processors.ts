import { Injectable } from '@nestjs/common';
import { OnJob, type JobContext } from '@tessera/jobs';
import {
  EMBED_COLDSTART_JOB,
  EmbedColdStartPayload,
  TRAIN_COLDSTART_JOB,
  TrainColdStartPayload,
} from './coldstart-jobs';
import { EmbedCatalogueResult, EmbedCatalogueUsecase } from './embed-catalogue.usecase';
import { TrainColdStartUsecase } from './train-coldstart.usecase';

/** Training and embedding as jobs; a trained version is embedded right after, then served by alias. */
@Injectable()
export class ColdStartProcessors {
  constructor(
    private readonly train: TrainColdStartUsecase,
    private readonly embed: EmbedCatalogueUsecase,
  ) {}

  @OnJob(TRAIN_COLDSTART_JOB)
  async trainJob(ctx: JobContext<TrainColdStartPayload>) {
    let epochs = 0;
    // a stable version per job, so a resumed attempt continues the same run
    const version = ctx.payload.version ?? `job-${ctx.jobId.slice(-12)}`;
    const trained = await this.train.execute({
      source: ctx.payload.source,
      version,
      maxUsers: ctx.payload.maxUsers,
      media: ctx.payload.media,
      config: {
        ...(ctx.payload.epochs ? { epochs: ctx.payload.epochs } : {}),
        ...(ctx.payload.userTower ? { userTower: ctx.payload.userTower } : {}),
        ...(ctx.payload.lexical ? { lexical: true } : {}),
      },
      progress: {
        start: (t) => void (epochs = t),
        update: (n) => void ctx.reportProgress(n, epochs + 1, 'training'),
        stop: () => undefined,
      },
    });
    await ctx.reportProgress(epochs, epochs + 1, 'embedding');
    const embedded = await this.embed.execute({ version: trained.version });
    await ctx.reportProgress(epochs + 1, epochs + 1, 'done');
    return { version: trained.version, metrics: trained.card.metrics, embedded };
  }

  @OnJob(EMBED_COLDSTART_JOB)
  async embedJob(ctx: JobContext<EmbedColdStartPayload>): Promise<EmbedCatalogueResult> {
    return this.embed.execute({ version: ctx.payload.version });
  }
}
