import { stat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ItemContentTokenizer, MediaPatchTokenizer } from '../encoder';
import type { ColdStartConfig } from './cold-start.config';
import { ColdStartModel } from './cold-start-model';
import {
  type ColdStartModelCard,
  loadColdStartModel,
  type ModelCardInput,
  readJson,
  saveColdStartModel,
} from './cold-start-model.io';
import {
  ColdStartTrainer,
  servingHistories,
  type ColdStartTrainingData,
  type TrainerState,
  type TrainingProgress,
  type TrainingReport,
} from './cold-start.trainer';
import * as tf from '@tensorflow/tfjs';

export interface ColdStartRunOptions {
  /** The model folder, `<dataDir>/models/coldstart/<version>`; its resume state goes to `<outputDir>.resume`. */
  outputDir: string;
  version: string;
  config: ColdStartConfig;
  tokenizer: ItemContentTokenizer;
  /** Adds the `image` / `video` dense modalities (tokens for them come in `data.itemTokens`). */
  media?: MediaPatchTokenizer;
  /** The warm users the model gets embeddings for. */
  userIds: readonly number[];
  data: ColdStartTrainingData;
  /** Dataset facts for the model card (name, counts, split seed, caveats). */
  dataCard: Record<string, unknown>;
  onProgress?: (p: TrainingProgress) => void;
  /** Continue from `<outputDir>.resume` when it exists (default true). */
  resume?: boolean;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * A full training run with checkpoints: after every epoch the current weights, both Adam states and
 * the trainer state go to `<outputDir>.resume` (atomically); whenever cold-validation improves, the
 * servable model goes to `outputDir`. A crashed run started again continues from the last finished
 * epoch. At the end `outputDir` holds the best model with a 'complete' card and the resume folder is removed.
 */
export async function runColdStartTraining(
  opts: ColdStartRunOptions,
): Promise<{ model: ColdStartModel; card: ColdStartModelCard; report: TrainingReport }> {
  const { config, outputDir } = opts;
  const resumeDir = `${outputDir}.resume`;
  const cardOf = (
    state: TrainerState,
    status: ModelCardInput['status'],
    extra: Record<string, number> = {},
  ): ModelCardInput => ({
    version: opts.version,
    status,
    data: opts.dataCard,
    config,
    metrics: {
      ...(Number.isFinite(state.bestValidation)
        ? { [`coldVal.recall@${config.validationK}`]: state.bestValidation }
        : {}),
      ...extra,
    },
    training: {
      epochsRun: state.epoch,
      bestEpoch: state.bestEpoch,
      msPerEpoch: state.history.length ? state.history.reduce((a, h) => a + h.ms, 0) / state.history.length : 0,
    },
    seed: config.seed,
  });

  let model: ColdStartModel;
  let trainer: ColdStartTrainer;
  let resumeFrom: TrainerState | undefined;
  if ((opts.resume ?? true) && (await exists(join(resumeDir, 'card.json')))) {
    const encoderOpt = tf.train.adam(config.encoderLr);
    const userOpt = tf.train.adam(config.userLr);
    model = (await loadColdStartModel(resumeDir, { encoder: encoderOpt, users: userOpt })).model;
    trainer = new ColdStartTrainer(config, model, { encoder: encoderOpt, users: userOpt });
    resumeFrom = await readJson<TrainerState>(join(resumeDir, 'trainer-state.json'));
    // JSON has no -Infinity.
    if (resumeFrom.bestValidation === null) resumeFrom.bestValidation = Number.NEGATIVE_INFINITY;
  } else {
    const modalities = [...opts.tokenizer.modalitySpecs(), ...(opts.media?.modalitySpecs() ?? [])];
    model = new ColdStartModel({ ...config, modalities }, opts.userIds, opts.tokenizer, opts.media);
    trainer = new ColdStartTrainer(config, model);
  }
  const report = await trainer.fit(opts.data, {
    onProgress: opts.onProgress,
    resumeFrom,
    onEpochEnd: async (state, improved) => {
      if (improved) await saveColdStartModel(outputDir, model, cardOf(state, 'training'));
      await saveColdStartModel(
        resumeDir,
        model,
        cardOf(state, 'training'),
        { encoder: trainer.encoderOptimizer, users: trainer.userOptimizer },
        {
          'trainer-state.json': JSON.stringify(state),
        },
      );
    },
  });
  trainer.dispose();
  // The best weights may come from an earlier (resumed) run: take them from the saved model.
  if (opts.data.validation && report.bestEpoch > 0) {
    model.dispose();
    model = (await loadColdStartModel(outputDir)).model;
    // The saved epoch predates the lexical calibration: put the chosen α and γ back and rebuild the profiles.
    const chosen = report.lexicalCalibration?.chosen;
    if (chosen && model.lexical) {
      const lexical = model.lexical;
      tf.tidy(() => {
        lexical.sharpness.assign(tf.scalar(chosen.sharpness));
        lexical.logScale.assign(tf.scalar(Math.log(chosen.scale)));
      });
      await model.materializeProfiles(servingHistories(opts.data, config));
    }
  }
  const finalCard = cardOf(report, 'complete');
  finalCard.training = {
    ...finalCard.training!,
    stoppedEarly: report.stoppedEarly,
    ...(report.lexicalCalibration ? { lexicalCalibration: report.lexicalCalibration } : {}),
  };
  const card = await saveColdStartModel(outputDir, model, finalCard);
  await rm(resumeDir, { recursive: true, force: true });
  return { model, card, report };
}
