import { Inject, Injectable, Logger } from '@nestjs/common';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertModelVersion,
  AppConfig,
  ConflictError,
  describeError,
  InvalidInputError,
  NotFoundError,
  ProgressReporter,
  silentProgress,
  TesseraConfig,
} from '@tessera/common';
import { AssetRepository, BlobStore, ClipRepository, ItemRepository, ModelRepository } from '@tessera/db';
import { FfmpegMediaRepository } from '@tessera/ingest/video';
import {
  clearVttwinsResumeState,
  hasVttwinsResumeState,
  readVttwinsResumeState,
  runVttwinsTraining,
} from '@tessera/models/vttwins';
import { VTTWINS_MODEL_ID, VttwinsCard } from './vttwins-model.store';
import {
  buildVttwinsTrainingSet,
  type PreparedVideo,
  stackClipFrames,
  VTTWINS_FRAME,
  VTTWINS_SAMPLE_FPS,
} from './vttwins-training-set';

export interface TrainVttwinsCommand {
  version?: string;
  steps?: number;
  /** Clip/caption pairs per training sequence (n). */
  clipsPerVideo?: number;
  /** Sequences per batch (b ≥ 2). */
  batchSize?: number;
  seed?: number;
  /**
   * Continue an interrupted run from its last checkpoint (`<data>/models/vttwins/<version>.resume`):
   * of `version`, or of the newest unfinished version when none is named. `'auto'` (the job's retries):
   * resume when a checkpoint exists, return a version that already finished, otherwise start fresh.
   * Without it a run starts over.
   */
  resume?: boolean | 'auto';
  /** Checkpoint every this many steps (default 10). */
  checkpointEvery?: number;
  /** Stop after this step, checkpointed, as an interruption would (tests). */
  stopAfter?: number;
  progress?: ProgressReporter;
}

export interface TrainVttwinsResult {
  version: string;
  dir: string;
  card: VttwinsCard;
  skipped: { itemId: string; reason: string }[];
  /** The step this run continued from (0: a fresh start). */
  resumedFrom: number;
  /** False when `stopAfter` ended the run early; the version is then not registered. */
  finished: boolean;
}

/**
 * Trains VT-TWINS on the catalogue's ingested videos: each video is a sequence of (clip frames,
 * caption) pairs with the captions as they came (shifted, missing or unrelated: the S2DTW loss is
 * meant for that). Videos with too few clips, or no caption at all, are skipped with a reason.
 * Weights, Adam state and losses are checkpointed every few steps, so an interrupted run resumes.
 */
@Injectable()
export class TrainVttwinsUsecase {
  private readonly logger = new Logger(TrainVttwinsUsecase.name);

  constructor(
    @Inject(AppConfig.TOKEN) private readonly appConfig: TesseraConfig,
    private readonly items: ItemRepository,
    private readonly clips: ClipRepository,
    private readonly assets: AssetRepository,
    private readonly blobs: BlobStore,
    private readonly ffmpeg: FfmpegMediaRepository,
    private readonly models: ModelRepository,
  ) {}

  async execute(cmd: TrainVttwinsCommand = {}): Promise<TrainVttwinsResult> {
    const root = join(this.appConfig.dataDir, 'models', 'vttwins');
    const version = cmd.version ?? (cmd.resume ? await newestUnfinished(root) : undefined) ?? timestampVersion();
    assertModelVersion(version);
    const resumeDir = join(root, `${version}.resume`);
    const hasState = await hasVttwinsResumeState(resumeDir);
    const existing = await this.models.find(VTTWINS_MODEL_ID, version);
    if (cmd.resume === 'auto' && existing && !hasState) {
      // an earlier attempt of the same job finished training: nothing to redo
      const card = existing.card as unknown as VttwinsCard;
      const steps = Number(card.training?.steps ?? 0);
      return {
        version,
        dir: join(this.appConfig.dataDir, existing.dir),
        card,
        skipped: [],
        resumedFrom: steps,
        finished: true,
      };
    }
    if (cmd.resume === true && !hasState)
      throw new NotFoundError(
        cmd.version
          ? `VT-TWINS version "${version}" has no interrupted run to resume`
          : 'no interrupted VT-TWINS run to resume',
        { version },
      );
    if (existing)
      throw new ConflictError(`VT-TWINS version "${version}" exists already; pick another --version`, { version });
    const resume = cmd.resume === true || (cmd.resume === 'auto' && hasState);
    // a resumed run keeps the settings it was started with unless told otherwise
    const saved = resume ? (await readVttwinsResumeState(resumeDir))?.config : undefined;
    const n = cmd.clipsPerVideo ?? saved?.clipsPerVideo ?? 4;
    const seed = cmd.seed ?? saved?.seed ?? 1;
    const videos: PreparedVideo[] = [];
    const skipped: { itemId: string; reason: string }[] = [];
    for (const item of await this.items.list({ kind: 'video', limit: 10_000 })) {
      const clips = await this.clips.listForItem(item.id);
      if (clips.length < n) {
        skipped.push({
          itemId: item.id,
          reason: `${clips.length} clips, fewer than the ${n} a training sequence needs`,
        });
        continue;
      }
      if (!clips.some((c) => c.caption)) {
        skipped.push({
          itemId: item.id,
          reason: 'no subtitles or transcript: no captions to align (unlabeled frames are not trained on)',
        });
        continue;
      }
      try {
        const asset = await this.assets.getById(String(item.metadata.originalAssetId));
        const sampled = await this.ffmpeg.sampleClips(await this.blobs.locate(asset.contentHash), clips, {
          fps: VTTWINS_SAMPLE_FPS,
          width: VTTWINS_FRAME.width,
          height: VTTWINS_FRAME.height,
          maxFramesPerClip: VTTWINS_FRAME.frames,
        });
        videos.push({
          id: item.id,
          clips: sampled.clips.map((c, i) => ({ frames: stackClipFrames(c.frames), caption: clips[i].caption ?? '' })),
        });
      } catch (e) {
        skipped.push({ itemId: item.id, reason: describeError(e) });
      }
    }
    if (videos.length < 2)
      throw new InvalidInputError(
        `VT-TWINS needs at least 2 captioned videos with ${n}+ clips; found ${videos.length}`,
        { skipped },
      );

    const set = await buildVttwinsTrainingSet(
      videos,
      {
        version,
        clipsPerVideo: n,
        batchSize: cmd.batchSize ?? saved?.batchSize ?? 4,
        steps: cmd.steps ?? saved?.steps ?? 60,
        seed,
        checkpointEvery: cmd.checkpointEvery ?? saved?.checkpointEvery ?? 10,
      },
      { data: { skipped } },
    );
    const { model, card } = set;
    const progress = cmd.progress ?? silentProgress;
    progress.start(set.config.steps);
    let run;
    try {
      run = await runVttwinsTraining({
        config: set.config,
        video: model.video,
        text: model.text,
        store: model.store,
        nextBatch: set.nextBatch,
        checkpointDir: resumeDir,
        resume,
        fingerprint: set.fingerprint,
        stopAfter: cmd.stopAfter,
        onProgress: (p) => progress.update(p.step, { loss: p.loss }),
      });
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      progress.stop();
    }
    const losses = run.losses;
    card.metrics = { firstLoss: losses[0], lastLoss: losses[losses.length - 1], meanLastTen: mean(losses.slice(-10)) };
    card.training = { ...card.training, resumedFrom: run.resumedFrom, stepsDone: run.steps };

    const rel = join('models', 'vttwins', version);
    const dir = join(this.appConfig.dataDir, rel);
    if (!run.finished) {
      model.dispose();
      this.logger.log({ msg: 'VT-TWINS training stopped early; resume with --resume', version, step: run.steps });
      return { version, dir, card, skipped, resumedFrom: run.resumedFrom, finished: false };
    }
    await model.save(dir);
    model.dispose();
    await this.models.register({
      modelId: VTTWINS_MODEL_ID,
      version,
      kind: 'vttwins',
      dir: rel,
      dim: card.video.jointDim,
      card: card as unknown as Record<string, unknown>,
      status: 'ready',
    });
    await clearVttwinsResumeState(resumeDir);
    this.logger.log({
      msg: 'VT-TWINS trained',
      version,
      videos: videos.length,
      resumedFrom: run.resumedFrom,
      metrics: card.metrics,
    });
    return { version, dir, card, skipped, resumedFrom: run.resumedFrom, finished: true };
  }
}

function timestampVersion(): string {
  return `v${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

/** The version of the most recently checkpointed unfinished run, if any. */
async function newestUnfinished(root: string): Promise<string | undefined> {
  const names = await readdir(root).catch(() => [] as string[]);
  let best: { version: string; at: number } | undefined;
  for (const name of names.filter((x) => x.endsWith('.resume') && !x.startsWith('.'))) {
    const at = (await stat(join(root, name)).catch(() => undefined))?.mtimeMs ?? 0;
    if (!best || at > best.at) best = { version: name.slice(0, -'.resume'.length), at };
  }
  return best?.version;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}
