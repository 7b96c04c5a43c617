import { Inject, Injectable, Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertModelVersion, AppConfig, ConflictError, Rng, silentProgress, TesseraConfig } from '@tessera/common';
import {
  ByteTokenizer,
  loadLmCheckpoint,
  restoreLmOptimizer,
  SftTrainer,
  SubwordLmTokenizer,
  TransformerLm,
  type LmTokenizer,
} from '@tessera/alignment/lm';
import type { PromptCompletion } from '@tessera/alignment/preference';
import { ModelRepository } from '@tessera/db';
import { describeBackend } from '@tessera/tensor';
import { assertLmSource, capRows, LM_SPLIT_SEED, loadSftRows } from './lm-datasets';
import {
  assertFiniteLogProbs,
  failLmVersion,
  finishLmVersion,
  LM_MODEL_ID,
  lmVersionDir,
  newLmVersionName,
  startLmVersion,
  withLastGoodCheckpoint,
  writeLmVersion,
  type LmRunState,
  type LmVersionCard,
} from './lm-model.store';
import { LM_RUN_DEFAULTS, type LmRunOptions } from './lm-run-options';
import { assertLmSize, LM_SIZES } from './lm-sizes';

export interface TrainLmCommand extends LmRunOptions {
  /** hh-rlhf | oasst2 | topical-chat */
  source: string;
  /** Version name; an unfinished or failed version of the same name resumes from its checkpoint. */
  version?: string;
  /** tiny | small | base (default small). */
  size?: string;
  /** Overrides of the size's shape. */
  model?: { contextLength?: number; dModel?: number; nHeads?: number; nLayers?: number };
  tokenizer?: 'subword' | 'byte';
  vocabSize?: number;
}

export interface TrainLmResult {
  version: string;
  dir: string;
  card: LmVersionCard;
  /** Step the run continued from (0 for a fresh run). */
  resumedFromStep: number;
  /** Whether a resumed run got its Adam moments back (checkpoints from before they were saved have none). */
  resumedOptimizer: boolean;
}

/**
 * Supervised fine-tuning of a small transformer LM on real dialogue text. The version is registered as
 * `training` at once and checkpointed as it goes, so a crash or a NaN stop resumes from the last good
 * checkpoint when the same version is trained again; it becomes `ready` (servable) when done.
 */
@Injectable()
export class TrainLmUsecase {
  private readonly logger = new Logger(TrainLmUsecase.name);

  constructor(
    @Inject(AppConfig.TOKEN) private readonly appConfig: TesseraConfig,
    private readonly models: ModelRepository,
  ) {}

  async execute(cmd: TrainLmCommand): Promise<TrainLmResult> {
    const started = Date.now();
    const source = assertLmSource(cmd.source);
    const version = assertModelVersion(cmd.version ?? newLmVersionName('sft'));
    const size = assertLmSize(cmd.size ?? LM_RUN_DEFAULTS.size);
    const seed = cmd.seed ?? LM_RUN_DEFAULTS.seed;
    const splitSeed = cmd.splitSeed ?? LM_SPLIT_SEED;
    const existing = await this.models.find(LM_MODEL_ID, version);
    if (existing && (existing.status === 'ready' || existing.card.kind !== 'sft'))
      throw new ConflictError(`language-model version "${version}" already exists; choose another --version`, {
        version,
        status: existing.status,
      });

    const previousSource = (existing?.card.dataset as { source?: string } | undefined)?.source;
    if (previousSource && previousSource !== source)
      throw new ConflictError(
        `version "${version}" was started on ${previousSource}; resume it with --source ${previousSource} or choose another --version`,
        { version, source: previousSource },
      );
    const data = await loadSftRows(source, { path: cmd.path, splitSeed });
    const train = capRows(data.train, cmd.maxRows, seed);
    const heldOut = capRows(data.heldOut, cmd.heldOutRows ?? LM_RUN_DEFAULTS.heldOutRows, seed);
    const rel = lmVersionDir(version);
    const dir = join(this.appConfig.dataDir, rel);

    let model: TransformerLm;
    let resumed: LmRunState | undefined;
    if (existing && existsSync(join(dir, 'meta.json'))) {
      const loaded = await loadLmCheckpoint(dir, { trainable: true });
      model = loaded.model;
      resumed = loaded.state as LmRunState | undefined;
    } else {
      const shape = { ...LM_SIZES[size], ...cmd.model };
      const tokenizer: LmTokenizer =
        cmd.tokenizer === 'byte'
          ? new ByteTokenizer()
          : await SubwordLmTokenizer.train(
              train.flatMap((r) => [r.prompt, r.completion]),
              { vocabSize: cmd.vocabSize ?? shape.vocabSize, seed },
            );
      model = new TransformerLm(
        {
          vocabSize: tokenizer.vocabSize,
          contextLength: shape.contextLength,
          dModel: shape.dModel,
          nHeads: shape.nHeads,
          nLayers: shape.nLayers,
          seed,
        },
        tokenizer,
      );
    }
    const startStep = resumed?.step ?? 0;
    const trainer = new SftTrainer(model, {
      batchSize: cmd.batchSize,
      learningRate: cmd.learningRate,
      epochs: cmd.epochs,
      maxSteps: cmd.steps,
      seed,
    });
    const sftConfig = trainer.config;
    // Adam's moments and step count from the checkpoint, so the resumed steps are the ones an unbroken run takes.
    const restoredOptimizer = resumed ? await restoreLmOptimizer(dir, model, trainer.optimizer) : false;
    const checkpointEvery = cmd.checkpointEvery ?? LM_RUN_DEFAULTS.checkpointEvery;
    const card: LmVersionCard = {
      modelId: LM_MODEL_ID,
      version,
      kind: 'sft',
      createdAt: new Date().toISOString(),
      data: `${source} (${cmd.path ?? 'staged copy'}): ${train.length} training rows of the 80% split (seed ${splitSeed}); ${heldOut.length} held-out rows`,
      dataset: {
        source,
        path: cmd.path ?? null,
        splitSeed,
        trainRows: train.length,
        trainRowsAvailable: data.train.length,
        heldOutRows: heldOut.length,
        skippedRows: data.skipped,
      },
      model: { size, ...model.config, parameters: model.parameterCount() },
      tokenizer: { ...model.tokenizer.describe(), fingerprint: model.tokenizerFingerprint },
      training: { ...trainer.config, checkpointEvery },
      metrics: {},
      backend: describeBackend().backend,
    };
    try {
      await startLmVersion(this.models, card, { registered: !!existing, dir: rel, dim: model.config.dModel });

      const before =
        typeof resumed?.heldOutLossBefore === 'number'
          ? resumed.heldOutLossBefore
          : await this.heldOutLoss(trainer, heldOut);
      const baseState = { phase: 'sft' as const, heldOutLossBefore: before };
      if (!resumed) await writeLmVersion(dir, model, card, { ...baseState, step: 0 });
      let lastGood = startStep;

      const rows = train;
      const perEpoch = Math.ceil(rows.length / sftConfig.batchSize);
      const totalSteps = Math.min(perEpoch * sftConfig.epochs, sftConfig.maxSteps ?? Infinity);
      const progress = cmd.progress ?? silentProgress;
      progress.start(totalSteps);
      progress.update(startStep);
      // the same seeded order as a run that never stopped: batches before startStep are skipped, not redrawn
      const rng = new Rng(seed);
      const losses: number[] = [];
      let step = 0;
      try {
        for (let epoch = 0; epoch < sftConfig.epochs && step < totalSteps; epoch++) {
          const order = rng.shuffle(rows.map((_, i) => i));
          for (let b = 0; b < perEpoch && step < totalSteps; b++, step++) {
            if (step < startStep) continue;
            const batch = order.slice(b * sftConfig.batchSize, (b + 1) * sftConfig.batchSize).map((i) => rows[i]);
            const s = await trainer.step(batch, step + 1);
            losses.push(s.loss);
            progress.update(step + 1, { loss: s.loss.toFixed(3) });
            if (checkpointEvery > 0 && (step + 1) % checkpointEvery === 0 && step + 1 < totalSteps) {
              await assertFiniteLogProbs(model, batch, step + 1);
              await writeLmVersion(dir, model, card, { ...baseState, step: step + 1 }, trainer.optimizer);
              lastGood = step + 1;
            }
          }
        }
        await assertFiniteLogProbs(model, rows, step);
      } catch (e) {
        throw withLastGoodCheckpoint(e, {
          version,
          dir,
          step: lastGood,
          hint: '(resume with the same --version, e.g. with a lower --learning-rate)',
        });
      } finally {
        progress.stop();
      }

      const after = await this.heldOutLoss(trainer, heldOut);
      card.metrics = {
        steps: step,
        resumedFromStep: startStep,
        ...(losses.length ? { firstTrainLoss: losses[0], lastTrainLoss: meanOfLast(losses, 10) } : {}),
        ...(Number.isFinite(before) ? { heldOutLossBefore: before, heldOutPerplexityBefore: Math.exp(before) } : {}),
        ...(Number.isFinite(after) ? { heldOutLossAfter: after, heldOutPerplexityAfter: Math.exp(after) } : {}),
        seconds: (Date.now() - started) / 1000,
      };
      await writeLmVersion(dir, model, card, { ...baseState, step, done: true }, trainer.optimizer);
      await finishLmVersion(this.models, card);
      this.logger.log({ msg: 'language model trained', version, source, metrics: card.metrics });
      return { version, dir, card, resumedFromStep: startStep, resumedOptimizer: restoredOptimizer };
    } catch (e) {
      await failLmVersion(this.models, version);
      throw e;
    } finally {
      trainer.dispose();
      model.dispose();
    }
  }

  /** Mean completion-token NLL on held-out rows (NaN when there are none). */
  private async heldOutLoss(trainer: SftTrainer, rows: PromptCompletion[]): Promise<number> {
    return rows.length ? trainer.evaluate(rows) : NaN;
  }
}

function meanOfLast(xs: number[], n: number): number {
  const tail = xs.slice(-n);
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}
