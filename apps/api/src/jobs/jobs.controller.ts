import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { existsSync, statSync } from 'node:fs';
import {
  AppConfig,
  assertModelVersion,
  InvalidInputError,
  NotFoundError,
  resolveInside,
  TesseraConfig,
} from '@tessera/common';
import { ItemRepository } from '@tessera/db';
import { JobQueue } from '@tessera/jobs';
import {
  IMPORT_DATASET_JOB,
  INGEST_FOLDER_JOB,
  TRAIN_COLDSTART_JOB,
  TRAIN_VTTWINS_JOB,
  type TrainColdStartPayload,
} from '../../../platform/src';
import { CreateIngestJobDto, CreateTrainingJobDto, ListJobsQuery } from './jobs.dto';

@ApiTags('jobs')
@Controller()
export class JobsController {
  constructor(
    @Inject(JobQueue) private readonly jobs: JobQueue,
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly items: ItemRepository,
  ) {}

  /** Ingest a folder of media, or import a dataset, from inside the data folder. */
  @Post('ingest/jobs')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the job was queued' })
  async createIngestJob(@Body() body: CreateIngestJobDto) {
    const path = resolveInside(this.config.dataDir, body.path);
    if (!existsSync(path))
      throw new NotFoundError(`no such file or folder in the data folder: ${body.path}`, { path: body.path });
    if (!body.dataset && !statSync(path).isDirectory())
      throw new InvalidInputError(`${body.path} is not a folder`, { path: body.path });
    const job = body.dataset
      ? await this.jobs.enqueue(
          IMPORT_DATASET_JOB,
          { dataset: body.dataset, path },
          { dedupeKey: `import:${body.dataset}:${path}`, maxAttempts: 2 },
        )
      : await this.jobs.enqueue(INGEST_FOLDER_JOB, { path }, { dedupeKey: `folder:${path}` });
    return { id: job.id, name: job.name, deduplicated: job.deduplicated, url: `/jobs/${job.id}` };
  }

  /**
   * Train a cold-start encoder on one catalogue source, or VT-TWINS on the ingested videos. The job embeds the
   * catalogue (or the clips) when training ends and switches serving to the new version; `GET /jobs/:id`
   * shows its progress. One job per named version at a time.
   */
  @Post('training/jobs')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the job was queued' })
  async createTrainingJob(@Body() body: CreateTrainingJobDto) {
    if (body.version !== undefined) assertModelVersion(body.version);
    const dedupeKey = body.version ? `train:${body.model}:${body.version}` : undefined;
    if (body.model === 'vttwins') {
      if (
        body.source ||
        body.epochs ||
        body.maxUsers ||
        body.media !== undefined ||
        body.userTower !== undefined ||
        body.lexical !== undefined
      )
        throw new InvalidInputError('vttwins takes version and steps only');
      const job = await this.jobs.enqueue(
        TRAIN_VTTWINS_JOB,
        { version: body.version, steps: body.steps },
        { dedupeKey, maxAttempts: 2 },
      );
      return { id: job.id, name: job.name, deduplicated: job.deduplicated, url: `/jobs/${job.id}` };
    }
    if (body.steps !== undefined) throw new InvalidInputError('coldstart trains by epochs, not steps');
    if (!body.source) throw new InvalidInputError('coldstart needs a source (a catalogue source such as movielens)');
    if ((await this.items.list({ source: body.source, limit: 1 })).length === 0)
      throw new NotFoundError(`the catalogue has no items from "${body.source}"; import a dataset first`, {
        source: body.source,
      });
    const payload: TrainColdStartPayload = {
      source: body.source,
      version: body.version,
      epochs: body.epochs,
      maxUsers: body.maxUsers,
      media: body.media,
      userTower: body.userTower,
      lexical: body.lexical,
    };
    const job = await this.jobs.enqueue(TRAIN_COLDSTART_JOB, payload, { dedupeKey, maxAttempts: 2 });
    return { id: job.id, name: job.name, deduplicated: job.deduplicated, url: `/jobs/${job.id}` };
  }

  @Get('jobs')
  @ApiOkResponse({ description: 'jobs, newest first, with counts per state' })
  async list(@Query() q: ListJobsQuery) {
    const [jobs, counts] = await Promise.all([this.jobs.list(q), this.jobs.counts()]);
    return { jobs, counts, backend: this.jobs.backend, paused: await this.jobs.isPaused() };
  }

  /** State, progress, per-item errors and result of one job. */
  @Get('jobs/:id')
  @ApiOkResponse({ description: 'the job report' })
  async get(@Param('id') id: string) {
    const job = await this.jobs.get(id);
    if (!job) throw new NotFoundError(`job ${id} not found`, { id });
    return job;
  }

  @Post('jobs/:id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string) {
    return { cancelled: await this.jobs.cancel(id) };
  }

  @Post('jobs/pause')
  @HttpCode(200)
  async pause() {
    await this.jobs.pause();
    return { paused: true };
  }

  @Post('jobs/resume')
  @HttpCode(200)
  async resume() {
    await this.jobs.resume();
    return { paused: false };
  }
}
