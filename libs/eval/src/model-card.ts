import { InvalidInputError } from '@tessera/common';

/**
 * One evaluation recorded in a model card. A card keeps one entry per dataset (or benchmark): a new
 * evaluation of the same dataset replaces the old one, others stay.
 */
export interface ModelCardEvaluation {
  /** The key in the card's `evaluations`. */
  dataset: string;
  /** The command as a user would type it again. */
  command: string;
  /** The options the command ran with, defaults filled in. */
  options: Record<string, unknown>;
  seeds: number[];
  /** ISO time the evaluation finished. */
  evaluatedAt: string;
  durationSeconds?: number;
  gitCommit?: string;
  /** True when the working tree had uncommitted changes to tracked files. */
  gitDirty?: boolean;
  backend: { name: string; simd?: boolean; threads?: boolean };
  node: string;
  /** How the numbers were made: protocol, what was trained in the run, what the spread is. */
  protocol: string;
  /** Markdown tables of the run: mean ± sample standard deviation over the seeds. */
  tables: string;
  /** The numbers behind the tables, structured (e.g. setting → method → metric → mean/std/min/max/n). */
  results: unknown;
  /** The full report the command wrote (relative to the data folder). */
  reportFile?: string;
}

export interface CardWithEvaluations {
  evaluations?: Record<string, ModelCardEvaluation>;
}

/** A copy of `card` with `entries` recorded, replacing earlier entries of the same dataset; keys sorted. */
export function withEvaluations<T extends CardWithEvaluations>(card: T, entries: readonly ModelCardEvaluation[]): T {
  const merged: Record<string, ModelCardEvaluation> = { ...(card.evaluations ?? {}) };
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.dataset.trim()) throw new InvalidInputError('an evaluation needs a dataset name');
    if (seen.has(e.dataset)) throw new InvalidInputError(`two evaluations of "${e.dataset}" in one update`);
    seen.add(e.dataset);
    merged[e.dataset] = e;
  }
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  return { ...card, evaluations: sorted };
}

/** Top-level card fields shown in the header list rather than in the configuration block. */
const HEADER_FIELDS = ['version', 'status', 'createdAt', 'dim', 'seed', 'users', 'backend', 'vocabularySha256'];
const SECTIONS: [string, string][] = [
  ['data', 'Training data'],
  ['training', 'Training run'],
];

/**
 * The card as Markdown for people: header facts, training data and run, training metrics, the
 * configuration as JSON, then every recorded evaluation with its provenance and tables.
 */
export function renderModelCardMarkdown(model: object & CardWithEvaluations): string {
  const card = model as Record<string, unknown> & CardWithEvaluations;
  const lines: string[] = [`# Model card: ${String(card.modelId ?? 'model')} ${String(card.version ?? '')}`.trimEnd()];
  lines.push('', '_Generated from card.json beside this file; edits here are overwritten._', '');
  for (const key of HEADER_FIELDS) if (card[key] !== undefined) lines.push(`- ${key}: ${inline(card[key])}`);
  for (const [key, title] of SECTIONS) {
    const section = card[key];
    if (!isRecord(section) || Object.keys(section).length === 0) continue;
    lines.push('', `## ${title}`, '');
    for (const [k, v] of Object.entries(section)) lines.push(`- ${k}: ${inline(v)}`);
  }
  if (isRecord(card.metrics) && Object.keys(card.metrics).length > 0) {
    lines.push('', '## Training metrics', '', '| metric | value |', '|---|---|');
    for (const [k, v] of Object.entries(card.metrics)) lines.push(`| ${cell(k)} | ${cell(inline(v))} |`);
  }
  const shown = new Set(['modelId', 'evaluations', 'metrics', ...HEADER_FIELDS, ...SECTIONS.map(([k]) => k)]);
  const config = Object.fromEntries(Object.entries(card).filter(([k, v]) => !shown.has(k) && v !== undefined));
  if (Object.keys(config).length > 0)
    lines.push('', '## Configuration', '', '```json', JSON.stringify(config, null, 2), '```');

  const evaluations = Object.values(card.evaluations ?? {});
  lines.push('', '## Evaluations', '');
  if (evaluations.length === 0) lines.push('None recorded yet.');
  for (const e of evaluations) {
    lines.push(`### ${e.dataset}`, '');
    lines.push(
      `- evaluated: ${e.evaluatedAt}${e.durationSeconds !== undefined ? ` (${e.durationSeconds.toFixed(0)} s)` : ''}`,
    );
    lines.push(`- command: \`${e.command}\``);
    lines.push(`- seeds: ${e.seeds.length ? e.seeds.join(', ') : 'none (nothing trained)'}`);
    const b = e.backend;
    const flags = [b.simd ? 'SIMD' : undefined, b.threads ? 'threads' : undefined].filter(Boolean);
    lines.push(`- backend: ${b.name}${flags.length ? ` (${flags.join(', ')})` : ''}, Node ${e.node}`);
    if (e.gitCommit)
      lines.push(`- git commit: ${e.gitCommit}${e.gitDirty ? ' (working tree had uncommitted changes)' : ''}`);
    if (e.reportFile) lines.push(`- full report: ${e.reportFile}`);
    lines.push(`- options: \`${JSON.stringify(e.options)}\``);
    lines.push('', e.protocol, '');
    if (e.tables.trim()) lines.push(e.tables.trim(), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function inline(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === 'string') return v;
  return `\`${JSON.stringify(v)}\``;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}
