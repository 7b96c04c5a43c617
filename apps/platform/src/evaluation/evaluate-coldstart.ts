import { join } from 'node:path';
import { InvalidInputError, stagedDataDir } from '@tessera/common';
import {
  ColdStartMethodRegistry,
  DEFAULT_LABEL_CLASSIFIER_CONFIG,
  LabelClassifierRecommender,
  type LabelClassifierConfig,
  evaluateColdStart,
  formatColdStartTable,
  MOVIELENS_MODALITIES,
  registerTesseraEncoder,
  type ColdStartConfigInput,
  type ColdStartReport,
  type ModalityGroup,
} from '@tessera/models/coldstart';
import { loadCiteULikeColdStart, loadJesterColdStart, loadMovieLensColdStart } from './coldstart-datasets';

export const EVAL_DATASETS = ['movielens', 'citeulike', 'jester'] as const;
const BASELINES = [
  'random',
  'bpr-mf',
  'content-tfidf',
  'content-bm25',
  'cb2cf-ridge',
  'cb2cf-sparse-ridge',
  'label-classifier',
];

/** The quick CPU configuration of the encoder used in the reported tables. */
export const QUICK_ENCODER_CONFIG: ColdStartConfigInput = {
  dModel: 64,
  numHeads: 4,
  layers: 1,
  fusionLayers: 1,
  fusion: 'token',
  dropout: 0.1,
  loss: 'sampled-softmax',
  temperature: 0.5,
  batchBy: 'items',
  itemsPerBatch: 128,
  maxSampledItems: 64,
  encoderLr: 1e-3,
  userLr: 1e-2,
  epochs: 6,
  patience: 2,
  validationK: 20,
};

/**
 * CiteULike-a encoder settings (issue #5 lab, test/coldstart/RESULTS.md): tags as whole-label tokens, as the
 * TF-IDF baseline reads them (a word split turned "gene-expression" into two unrelated words), up to 48 of
 * them in 2^16 buckets (46k distinct tags), 16 citation neighbours; bag-of-tokens pooling beside the CLS;
 * token dropout against the over-fitting that the larger tag table brings; the history user tower.
 */
export const CITEULIKE_EVAL_MODALITIES: ModalityGroup[] = [
  // The transformer reads the first 48 tags and 16 citations; the lexical channel reads up to 256 of each, as the
  // TF-IDF profile reads all of them (untrained channel alone, seed 1: R@20 0.470 at 48/16 tokens, 0.480 at 256/256),
  // hashed into 2^20 buckets of its own (NDCG@20 0.3569 sharing the transformer's 2^18 / 2^17, 0.3585 at 2^20).
  {
    name: 'tags',
    fields: ['tags'],
    labels: true,
    maxLength: 48,
    lexicalMaxLength: 256,
    buckets: 1 << 18,
    lexicalBuckets: 1 << 20,
  },
  {
    name: 'citations',
    fields: [],
    neighbours: true,
    maxLength: 16,
    lexicalMaxLength: 256,
    buckets: 1 << 17,
    lexicalBuckets: 1 << 20,
  },
];
export const CITEULIKE_ENCODER_OVERRIDES: ColdStartConfigInput = {
  pooling: 'cls+bag',
  tokenDropout: 0.2,
  // Users from the content of their history (8 sampled positives per step), not free vectors: on the pseudo-cold
  // validation split (seed 1) 0.455 against 0.407, where free vectors over-fit the 46k-tag table. On MovieLens,
  // whose plots say less about taste, free vectors stay better (validation 0.092 against 0.116), so it keeps them.
  userTower: 'history',
  historySize: 8,
  // The sparse score over the content tokens beside the dense one: exact matches of rare user tags, which a
  // 64-wide dot product only approximates. Token weights stay at idf (learning them per token gave the same
  // validation); sharpness and weight are learned, then calibrated on the pseudo-cold validation split.
  lexical: true,
  lexicalWeights: 'idf',
};

/** The encoder configuration per dataset in the reported tables. */
export function quickEncoderConfig(dataset: string): ColdStartConfigInput {
  return dataset === 'citeulike' ? { ...QUICK_ENCODER_CONFIG, ...CITEULIKE_ENCODER_OVERRIDES } : QUICK_ENCODER_CONFIG;
}

/** The encoder's input modalities per dataset in the reported tables. */
export function coldStartModalities(dataset: string): ModalityGroup[] {
  if (dataset === 'movielens') return [{ ...MOVIELENS_MODALITIES[0], maxLength: 32 }, MOVIELENS_MODALITIES[1]];
  if (dataset === 'citeulike') return CITEULIKE_EVAL_MODALITIES.map((m) => ({ ...m }));
  if (dataset === 'jester') return [{ name: 'text', fields: ['text', 'body', 'title'], maxLength: 64 }];
  throw new InvalidInputError(`unknown dataset "${dataset}"; known: ${EVAL_DATASETS.join(', ')}`);
}

/**
 * Spec §7 baseline 5 per dataset: the same encoder architecture trained to predict category labels.
 * MovieLens: genres are the targets, so the inputs are the text fields only (genres as input too would
 * make the task an identity). CiteULike has no categories: the 256 most frequent tags are the targets and
 * the inputs are the encoder's own (tags, citations), so it learns a compressed tag representation.
 * Jester has no labels (undefined).
 */
export function labelClassifierConfig(dataset: string): LabelClassifierConfig | undefined {
  const encoder = {
    dModel: QUICK_ENCODER_CONFIG.dModel,
    numHeads: QUICK_ENCODER_CONFIG.numHeads,
    layers: QUICK_ENCODER_CONFIG.layers,
    fusionLayers: QUICK_ENCODER_CONFIG.fusionLayers,
    fusion: QUICK_ENCODER_CONFIG.fusion,
    dropout: QUICK_ENCODER_CONFIG.dropout,
  };
  if (dataset === 'movielens')
    return {
      ...DEFAULT_LABEL_CLASSIFIER_CONFIG,
      encoder,
      labelField: 'genres',
      modalities: coldStartModalities('movielens').filter((m) => !m.fields.includes('genres')),
    };
  if (dataset === 'citeulike')
    return {
      ...DEFAULT_LABEL_CLASSIFIER_CONFIG,
      encoder,
      epochs: 3,
      labelField: 'tags',
      modalities: coldStartModalities('citeulike'),
    };
  return undefined;
}

export interface EvaluateColdStartCommand {
  dataset: string;
  /** Dataset folder; default: the staged copy in ../shared/data beside the project. */
  path?: string;
  seeds?: number[];
  methods?: string[];
  epochs?: number;
  onLog?: (line: string) => void;
}

/** What an evaluation ran with, defaults filled in (recorded in the model card). */
export interface ColdStartEvalSettings {
  /** The dataset name as asked for (movielens, citeulike, jester). */
  dataset: string;
  path: string;
  seeds: number[];
  methods: string[];
  ks: number[];
  /** The Tessera encoder's configuration in this run. */
  encoder: ColdStartConfigInput;
  modalities: ModalityGroup[];
}

/**
 * The item cold-start protocol of the spec on a public dataset: every baseline and the Tessera encoder
 * on the same fixed-seed splits, Recall/NDCG at 10/20/50, mean ± spread over seeds.
 */
export async function evaluateColdStartDataset(
  cmd: EvaluateColdStartCommand,
): Promise<{ report: ColdStartReport; table: string; settings: ColdStartEvalSettings }> {
  {
    const shared = stagedDataDir();
    const modalities = coldStartModalities(cmd.dataset);
    const path =
      cmd.path ??
      join(shared, cmd.dataset === 'movielens' ? 'movielens' : cmd.dataset === 'citeulike' ? 'citeulike-a' : 'jester');
    let dataset;
    if (cmd.dataset === 'movielens') dataset = await loadMovieLensColdStart(path);
    else if (cmd.dataset === 'citeulike') dataset = await loadCiteULikeColdStart(path);
    else dataset = await loadJesterColdStart(path);
    const registry = ColdStartMethodRegistry.withBaselines();
    const encoder = { ...quickEncoderConfig(cmd.dataset), ...(cmd.epochs ? { epochs: cmd.epochs } : {}) };
    registerTesseraEncoder(registry, {
      modalities,
      config: encoder,
      validationFraction: 0.1,
      // The encoder's epochs and its lexical calibration go to the log, so a run's choices can be read afterwards.
      onProgress: (p) => {
        if (p.validationRecall !== undefined)
          cmd.onLog?.(
            `  tessera-encoder epoch ${p.epoch}: loss ${p.loss.toFixed(4)}, pseudo-cold validation recall ${p.validationRecall.toFixed(4)}`,
          );
        if (p.lexicalCalibration) cmd.onLog?.(`  lexical calibration: ${JSON.stringify(p.lexicalCalibration)}`);
      },
    });
    const classifier = labelClassifierConfig(cmd.dataset);
    if (classifier)
      registry.register('label-classifier', ({ seed }) => new LabelClassifierRecommender(classifier, seed));
    const settings: ColdStartEvalSettings = {
      dataset: cmd.dataset,
      path,
      seeds: cmd.seeds ?? [1, 2, 3],
      methods: cmd.methods ?? [...BASELINES.filter((m) => registry.has(m)), 'tessera-encoder'],
      ks: [10, 20, 50],
      encoder,
      modalities,
    };
    const report = await evaluateColdStart({
      dataset,
      seeds: settings.seeds,
      methods: settings.methods,
      ks: settings.ks,
      registry,
      onRun: (run) => cmd.onLog?.(`seed ${run.seed} ${run.method}: fit ${(run.fitMs / 1000).toFixed(1)} s`),
    });
    return { report, table: formatColdStartTable(report), settings };
  }
}
