import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { initTensorBackend } from '@tessera/tensor';
import { needsSharedData } from '@tessera/testing';
import {
  type ColdStartConfigInput,
  ColdStartMethodRegistry,
  ContentKnnRecommender,
  DEFAULT_TFIDF_CONFIG,
  evaluateColdStart,
  type EvalSetting,
  formatColdStartTable,
  type ModalityGroup,
  LabelClassifierRecommender,
  registerTesseraEncoder,
  summarizeColdStartRuns,
  type ColdStartRun,
} from '@tessera/models/coldstart';
import { describe, expect, it } from 'vitest';
import { LexicalInitRecommender } from './lexical-init.testing';
import { LowRankTfIdfRecommender } from './low-rank-tfidf.testing';
import {
  coldStartModalities,
  labelClassifierConfig,
  loadCiteULikeColdStart,
  loadMovieLensColdStart,
  quickEncoderConfig,
} from '../../apps/platform/src';

/**
 * Lab harness for encoder experiments (issue #5): one dataset, the platform's eval modalities and quick
 * configuration, with overrides from the environment. Runs only with LAB=1:
 *   LAB_DATASET=citeulike|movielens  LAB_SEEDS=1  LAB_METHODS=random,tessera-encoder
 *   LAB_CONFIG='{"pooling":"cls+bag"}'  LAB_MODALITIES='[...ModalityGroup]'  LAB_SETTINGS=cold
 *   LAB_OUT=file (appends the log and table)  LAB_JSON=file (writes the runs)
 *   LAB_TFIDF_MINDF=5,20  LAB_TFIDF_RANK=64  LAB_TFIDF_IDFPOW=0,2: diagnostic TF-IDF variants (add their names to LAB_METHODS)
 *   LAB_MERGE=a.json,b.json: no training; prints the table of the runs in those files (seeds run apart).
 */
const enabled = process.env.LAB === '1';
const datasetName = process.env.LAB_DATASET ?? 'citeulike';
const seeds = (process.env.LAB_SEEDS ?? '1').split(',').map(Number);
const methods = (process.env.LAB_METHODS ?? 'random,tessera-encoder').split(',');
const settings = (process.env.LAB_SETTINGS ?? 'cold').split(',') as EvalSetting[];
const overrides = JSON.parse(process.env.LAB_CONFIG ?? '{}') as ColdStartConfigInput;
const outFile = process.env.LAB_OUT;

function log(text: string): void {
  process.stdout.write(`${text}\n`);
  if (outFile) {
    mkdirSync(dirname(outFile), { recursive: true });
    appendFileSync(outFile, `${text}\n`);
  }
}

const merge = process.env.LAB_MERGE;
describe.skipIf(!merge)('encoder lab: merge runs', () => {
  it('prints the table of the merged runs', () => {
    const runs = merge!.split(',').flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as ColdStartRun[]);
    const report = summarizeColdStartRuns(process.env.LAB_NAME ?? datasetName, runs, { ks: [10, 20, 50], settings });
    log(formatColdStartTable(report));
    expect(report.seeds.length).toBeGreaterThan(0);
  });
});

const data = needsSharedData(datasetName === 'movielens' ? 'movielens' : 'citeulike-a');
describe.skipIf(!enabled || !!merge || data.skip)(
  `encoder lab${enabled ? '' : ' (skipped: set LAB=1)'}${data.reason}`,
  () => {
    it('runs one experiment', { timeout: 4 * 3600_000 }, async () => {
      await initTensorBackend('wasm');
      const dataset =
        datasetName === 'movielens' ? await loadMovieLensColdStart(data.path) : await loadCiteULikeColdStart(data.path);
      const modalities: ModalityGroup[] = process.env.LAB_MODALITIES
        ? (JSON.parse(process.env.LAB_MODALITIES) as ModalityGroup[])
        : coldStartModalities(datasetName);
      const config = { ...quickEncoderConfig(datasetName), ...overrides };
      log(`lab ${new Date().toISOString()} ${datasetName} seeds ${seeds.join(',')}`);
      log(`config: ${JSON.stringify(config)}`);
      log(`modalities: ${JSON.stringify(modalities)}`);
      const t0 = Date.now();
      const registry = registerTesseraEncoder(ColdStartMethodRegistry.withBaselines(), {
        modalities,
        config,
        validationFraction: 0.1,
        onProgress: (p) => {
          if (p.lexicalCalibration) log(`  lexical calibration: ${JSON.stringify(p.lexicalCalibration)}`);
          if (p.validationRecall !== undefined)
            log(
              `  epoch ${p.epoch}: loss ${p.loss.toFixed(4)} pseudo-cold val recall@20 ${p.validationRecall.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
            );
        },
      });
      // Diagnostics: TF-IDF profiles restricted to terms seen in ≥ N items (LAB_TFIDF_MINDF=5,20,100).
      for (const n of (process.env.LAB_TFIDF_MINDF ?? '').split(',').filter(Boolean).map(Number))
        registry.register(
          `content-tfidf-mindf${n}`,
          () => new ContentKnnRecommender({ ...DEFAULT_TFIDF_CONFIG, minDf: n }),
        );
      // TF-IDF profiles with idf^p weights (LAB_TFIDF_IDFPOW=0,0.5,2): how much the rare terms carry.
      for (const p of (process.env.LAB_TFIDF_IDFPOW ?? '').split(',').filter(Boolean).map(Number))
        registry.register(
          `content-tfidf-idfpow${p}`,
          () => new ContentKnnRecommender({ ...DEFAULT_TFIDF_CONFIG, idfPower: p }),
        );
      for (const k of (process.env.LAB_TFIDF_RANK ?? '').split(',').filter(Boolean).map(Number))
        registry.register(`content-tfidf-rank${k}`, ({ seed }) => new LowRankTfIdfRecommender(k, seed));
      // The encoder's lexical channel alone, untrained (LAB_METHODS=lexical-init).
      registry.register('lexical-init', () => new LexicalInitRecommender(modalities));
      registry.register('lexical-init-mindf2', () => new LexicalInitRecommender(modalities, 256, 2));
      registry.register('lexical-init-mindf2-all', () => new LexicalInitRecommender(modalities, Infinity, 2));
      const classifier = labelClassifierConfig(datasetName);
      if (classifier)
        registry.register('label-classifier', ({ seed }) => new LabelClassifierRecommender(classifier, seed));
      const report = await evaluateColdStart({
        dataset,
        seeds,
        methods,
        registry,
        settings,
        onRun: (r) =>
          log(
            `seed ${r.seed} ${r.method}: fit ${(r.fitMs / 1000).toFixed(1)} s, cold recall@20 ${r.metrics.cold?.['recall@20']?.toFixed(4)} ndcg@20 ${r.metrics.cold?.['ndcg@20']?.toFixed(4)}`,
          ),
      });
      log(formatColdStartTable(report));
      if (process.env.LAB_JSON) writeFileSync(process.env.LAB_JSON, JSON.stringify(report.runs));
      expect(report.runs.length).toBe(seeds.length * methods.length);
    });
  },
);
