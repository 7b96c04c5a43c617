import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import {
  assertModelVersion,
  AppConfig,
  ConflictError,
  InvalidInputError,
  silentProgress,
  TesseraConfig,
} from '@tessera/common';
import { loadLmCheckpoint, meanTokenEmbedder, type TransformerLm } from '@tessera/alignment/lm';
import {
  evaluatePreferencePairs,
  parseBcoConfig,
  parseDpoConfig,
  parseKtoConfig,
  PreferenceTrainer,
  type BinaryFeedback,
  type PreferenceConfig,
  type PreferencePair,
  type PreferenceTrainResult,
} from '@tessera/alignment/preference';
import { ModelRepository } from '@tessera/db';
import { describeBackend } from '@tessera/tensor';
import { assertLmSource, capRows, LM_SPLIT_SEED, loadPreferencePairs, loadThumbs, type LmSource } from './lm-datasets';
import {
  assertFiniteLogProbs,
  failLmVersion,
  finishLmVersion,
  LM_MODEL_ID,
  lmVersionDir,
  newLmVersionName,
  startLmVersion,
  withLastGoodCheckpoint,
  finiteMetrics,
  writeLmVersion,
  type LmVersionCard,
} from './lm-model.store';
import { LmModels } from './lm-models.service';
import { LM_RUN_DEFAULTS, type LmRunOptions } from './lm-run-options';

export const ALIGN_ALGORITHMS = ['dpo', 'kto', 'bco'] as const;
export type AlignAlgorithm = (typeof ALIGN_ALGORITHMS)[number];

export interface AlignLmCommand extends LmRunOptions {
  algorithm: string;
  /** The SFT version used as the frozen reference and as the starting policy (`latest` allowed). */
  reference: string;
  /** Preference data: dpo takes pairs (hh-rlhf default, oasst2); kto and bco take thumbs (oasst2 default, hh-rlhf unpaired, topical-chat). */
  data?: string;
  beta?: number;
  /** BCO only: weight rows by the prompt density ratio (UDM), prompts embedded by the reference's token table. */
  udm?: boolean;
}

export interface AlignLmResult {
  version: string;
  dir: string;
  card: LmVersionCard;
}

/**
 * DPO on paired preferences, KTO or BCO on thumbs, starting from an SFT version that also serves as the
 * frozen reference. Writes a new version whose card names the algorithm, the reference and the metrics:
 * training loss and rewards, and held-out implicit-reward accuracy and margin (pairs) or reward gap (thumbs).
 * A non-finite loss stops the run with `TrainingDivergedError`; the last good checkpoint stays on disk.
 * An unfinished or failed version of the same name starts again from the reference (no mid-run resume).
 */
@Injectable()
export class AlignLmUsecase {
  private readonly logger = new Logger(AlignLmUsecase.name);

  constructor(
    @Inject(AppConfig.TOKEN) private readonly appConfig: TesseraConfig,
    private readonly models: ModelRepository,
    private readonly lms: LmModels,
  ) {}

  async execute(cmd: AlignLmCommand): Promise<AlignLmResult> {
    const started = Date.now();
    if (!(ALIGN_ALGORITHMS as readonly string[]).includes(cmd.algorithm))
      throw new InvalidInputError(`unknown algorithm "${cmd.algorithm}"; known: ${ALIGN_ALGORITHMS.join(', ')}`);
    const algorithm = cmd.algorithm as AlignAlgorithm;
    if (!cmd.reference) throw new InvalidInputError('a reference (SFT) version is required');
    if (cmd.udm && algorithm !== 'bco') throw new InvalidInputError('UDM is a BCO option');
    const source = assertLmSource(cmd.data ?? (algorithm === 'dpo' ? 'hh-rlhf' : 'oasst2'));
    const refRecord = await this.lms.resolve(cmd.reference);
    const version = assertModelVersion(cmd.version ?? newLmVersionName(algorithm));
    const existing = await this.models.find(LM_MODEL_ID, version);
    if (existing?.status === 'ready')
      throw new ConflictError(`language-model version "${version}" already exists; choose another --version`, {
        version,
      });
    const seed = cmd.seed ?? LM_RUN_DEFAULTS.seed;
    const splitSeed = cmd.splitSeed ?? LM_SPLIT_SEED;
    const data = await this.loadData(algorithm, source, cmd, splitSeed, seed);

    const refDir = join(this.appConfig.dataDir, refRecord.dir);
    const reference = (await loadLmCheckpoint(refDir, { trainable: false })).model;
    let policy: TransformerLm | undefined;
    let trainer: PreferenceTrainer | undefined;
    const rel = lmVersionDir(version);
    const dir = join(this.appConfig.dataDir, rel);
    try {
      policy = (await loadLmCheckpoint(refDir, { trainable: true })).model;
      const common = {
        beta: cmd.beta,
        learningRate: cmd.learningRate,
        batchSize: cmd.batchSize,
        epochs: cmd.epochs,
        maxSteps: cmd.steps,
        checkpointEvery: cmd.checkpointEvery ?? LM_RUN_DEFAULTS.checkpointEvery,
        seed,
      };
      const config: PreferenceConfig =
        algorithm === 'dpo'
          ? parseDpoConfig(common)
          : algorithm === 'kto'
            ? parseKtoConfig(common)
            : parseBcoConfig({ ...common, udm: { enabled: cmd.udm ?? false } });
      const warnings: string[] = [];
      const card: LmVersionCard = {
        modelId: LM_MODEL_ID,
        version,
        kind: algorithm,
        createdAt: new Date().toISOString(),
        reference: refRecord.version,
        data: `${source} ${algorithm === 'dpo' ? 'pairs' : 'thumbs'} (${cmd.path ?? 'staged copy'}): ${data.train.length} training rows of the 80% split (seed ${splitSeed})`,
        dataset: {
          source,
          path: cmd.path ?? null,
          splitSeed,
          form: algorithm === 'dpo' ? 'pairs' : 'thumbs',
          trainRows: data.train.length,
          trainRowsAvailable: data.available,
          heldOutPairs: data.heldOutPairs.length,
          heldOutThumbs: data.heldOutThumbs.length,
          skippedRows: data.skipped,
        },
        model: { ...policy.config, parameters: policy.parameterCount() },
        tokenizer: { ...policy.tokenizer.describe(), fingerprint: policy.tokenizerFingerprint },
        training: { ...config, referenceVersion: refRecord.version, referenceKind: refRecord.card.kind ?? null },
        metrics: {},
        backend: describeBackend().backend,
      };
      await startLmVersion(this.models, card, { registered: !!existing, dir: rel, dim: policy.config.dModel });
      // step 0 is the reference itself: a last good checkpoint exists even if the first step diverges
      await writeLmVersion(dir, policy, card, { phase: algorithm, step: 0 });
      let lastGood = 0;

      const activePolicy = policy;
      const probeRows = data.train
        .slice(0, 4)
        .map((r) => ({ prompt: r.prompt, completion: 'chosen' in r ? r.chosen : r.completion }));
      trainer = new PreferenceTrainer({
        policy: activePolicy,
        reference,
        config,
        promptEmbedder: cmd.udm ? meanTokenEmbedder(reference) : undefined,
        onWarning: (w) => warnings.push(w),
        saveCheckpoint: async (step, state) => {
          await assertFiniteLogProbs(activePolicy, probeRows, step);
          await writeLmVersion(dir, activePolicy, card, { phase: algorithm, step, trainer: state });
          lastGood = step;
          return dir;
        },
      });
      const perEpoch = Math.ceil(data.train.length / config.batchSize);
      const totalSteps = Math.min(perEpoch * config.epochs, config.maxSteps ?? Infinity);
      const progress = cmd.progress ?? silentProgress;
      progress.start(totalSteps);
      let result: PreferenceTrainResult;
      try {
        result = await trainer.train(data.train as PreferencePair[] | BinaryFeedback[], {
          onProgress: (p) => progress.update(p.step, { loss: p.loss.toFixed(4) }),
        });
      } catch (e) {
        throw withLastGoodCheckpoint(e, { version, dir, step: lastGood });
      } finally {
        progress.stop();
      }

      card.metrics = finiteMetrics({
        steps: result.steps,
        ...trainingMetrics(result),
        ...(await this.heldOutMetrics(policy, reference, data, config.beta)),
        seconds: (Date.now() - started) / 1000,
      });
      if (warnings.length) card.warnings = [...new Set(warnings)];
      await writeLmVersion(dir, policy, card, { phase: algorithm, step: result.steps, trainer: trainer.state() });
      await finishLmVersion(this.models, card);
      this.logger.log({ msg: 'language model aligned', version, algorithm, reference: refRecord.version });
      return { version, dir, card };
    } catch (e) {
      await failLmVersion(this.models, version);
      throw e;
    } finally {
      trainer?.dispose();
      policy?.dispose();
      reference.dispose();
    }
  }

  private async loadData(
    algorithm: AlignAlgorithm,
    source: LmSource,
    cmd: AlignLmCommand,
    splitSeed: number,
    seed: number,
  ): Promise<{
    train: PreferencePair[] | BinaryFeedback[];
    available: number;
    heldOutPairs: PreferencePair[];
    heldOutThumbs: BinaryFeedback[];
    skipped: number;
  }> {
    const opts = { path: cmd.path, splitSeed };
    const heldOutRows = cmd.heldOutRows ?? LM_RUN_DEFAULTS.heldOutRows;
    if (algorithm === 'dpo') {
      const pairs = await loadPreferencePairs(source, opts);
      return {
        train: capRows(pairs.train, cmd.maxRows, seed),
        available: pairs.train.length,
        heldOutPairs: capRows(pairs.heldOut, heldOutRows, seed),
        heldOutThumbs: [],
        skipped: pairs.skipped,
      };
    }
    const thumbs = await loadThumbs(source, opts);
    // HH-RLHF thumbs come from pairs split first, so its held-out pairs were never trained on
    const heldOutPairs =
      source === 'hh-rlhf' ? capRows((await loadPreferencePairs(source, opts)).heldOut, heldOutRows, seed) : [];
    return {
      train: capRows(thumbs.train, cmd.maxRows, seed),
      available: thumbs.train.length,
      heldOutPairs,
      heldOutThumbs: capRows(thumbs.heldOut, heldOutRows, seed),
      skipped: thumbs.skipped,
    };
  }

  private async heldOutMetrics(
    policy: TransformerLm,
    reference: TransformerLm,
    data: { heldOutPairs: PreferencePair[]; heldOutThumbs: BinaryFeedback[] },
    beta: number,
  ): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (data.heldOutPairs.length) {
      const ev = await evaluatePreferencePairs(policy, reference, data.heldOutPairs, { beta });
      Object.assign(out, {
        heldOutPairAccuracy: ev.accuracy,
        heldOutPairMargin: ev.margin,
        heldOutPolicyLogProbAccuracy: ev.policyLogProbAccuracy,
        heldOutMeanLogRatio: ev.meanLogRatio,
      });
    }
    const up = data.heldOutThumbs.filter((r) => r.label);
    const down = data.heldOutThumbs.filter((r) => !r.label);
    if (up.length && down.length) {
      const reward = async (rows: BinaryFeedback[]) => {
        const [p, r] = await Promise.all([policy.completionLogProbs(rows), reference.completionLogProbs(rows)]);
        return mean(Array.from(p, (x, i) => beta * (x - r[i])));
      };
      const [ru, rd] = [await reward(up), await reward(down)];
      Object.assign(out, { heldOutRewardUp: ru, heldOutRewardDown: rd, heldOutRewardGap: ru - rd });
    }
    return out;
  }
}

function trainingMetrics(result: PreferenceTrainResult): Record<string, number> {
  const h = result.history;
  if (!h.length) return {};
  const tail = h.slice(-10);
  const out: Record<string, number> = {
    firstLoss: h[0].loss,
    lastLoss: mean(tail.map((m) => m.loss)),
    lastRewardChosen: mean(tail.map((m) => m.rewardChosen).filter(Number.isFinite)),
    lastRewardRejected: mean(tail.map((m) => m.rewardRejected).filter(Number.isFinite)),
  };
  const acc = tail.flatMap((m) => (m.accuracy === undefined ? [] : [m.accuracy]));
  if (acc.length) out.lastTrainAccuracy = mean(acc);
  return out;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
