import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptDataError, InvalidInputError } from '@tessera/common';
import { type ColdStartRun, summarizeColdStartRuns } from '@tessera/models/coldstart';
import { describe, expect, it } from 'vitest';
import type { ColdStartEvalSettings } from './evaluate-coldstart';
import { type ColdStartReportFile, mergeColdStartReports } from './merge-coldstart-reports';

const dir = mkdtempSync(join(tmpdir(), 'tessera-merge-'));
const settings: ColdStartEvalSettings = {
  dataset: 'citeulike',
  path: '/data/citeulike-a',
  seeds: [],
  methods: ['random', 'tessera-encoder'],
  ks: [20],
  encoder: { dModel: 64 },
  modalities: [{ name: 'tags', fields: ['tags'], maxLength: 48 }],
};
const provenance = {
  gitCommit: 'abc',
  gitDirty: false,
  backend: { name: 'wasm', simd: true, threads: false },
  node: 'v20',
};

function run(seed: number, method: string, recall: number): ColdStartRun {
  return { seed, method, fitMs: 1000, metrics: { cold: { 'recall@20': recall, 'ndcg@20': recall / 2, users: 10 } } };
}

function write(
  name: string,
  seed: number,
  recalls: [number, number],
  patch: Partial<ColdStartReportFile> = {},
): string {
  const runs = [run(seed, 'random', recalls[0]), run(seed, 'tessera-encoder', recalls[1])];
  const report = summarizeColdStartRuns('citeulike-a', runs, { ks: [20], settings: ['cold'] });
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ ...report, settings: { ...settings, seeds: [seed] }, provenance, ...patch }));
  return file;
}

describe('mergeColdStartReports', () => {
  it('summarises the runs of all files as one report (mean ± sample sd over their seeds)', () => {
    const a = write('a.json', 1, [0.01, 0.4]);
    const b = write('b.json', 2, [0.02, 0.5]);
    const merged = mergeColdStartReports([a, b]);
    expect(merged.report.seeds).toEqual([1, 2]);
    expect(merged.settings.seeds).toEqual([1, 2]);
    const enc = merged.report.table.cold!['tessera-encoder']['recall@20'];
    expect(enc.mean).toBeCloseTo(0.45, 10);
    expect(enc.std).toBeCloseTo(Math.sqrt(((0.4 - 0.45) ** 2 + (0.5 - 0.45) ** 2) / 1), 10);
    expect(merged.table).toMatch(/seeds 1,2/);
    expect(merged.provenance.gitCommit).toBe('abc');
  });

  it('refuses reports that differ in anything but the seeds, repeat a seed, or are not reports', () => {
    const a = write('c.json', 1, [0.01, 0.4]);
    const other = write('d.json', 2, [0.02, 0.5], { provenance: { ...provenance, gitCommit: 'def' } });
    expect(() => mergeColdStartReports([a, other])).toThrow(/git commit/);
    const config = write('e.json', 2, [0.02, 0.5], { settings: { ...settings, encoder: { dModel: 128 } } });
    expect(() => mergeColdStartReports([a, config])).toThrow(/encoder settings/);
    expect(() => mergeColdStartReports([a, write('f.json', 1, [0.02, 0.5])])).toThrow(/seed 1 appears/);
    expect(() => mergeColdStartReports([a])).toThrow(InvalidInputError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{not json');
    expect(() => mergeColdStartReports([a, bad])).toThrow(CorruptDataError);
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify({ dataset: 'x', seeds: [3], ks: [20], table: {}, runs: [] }));
    expect(() => mergeColdStartReports([a, old])).toThrow(/no settings or provenance/);
  });
});
