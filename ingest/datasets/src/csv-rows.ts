import { basename } from 'node:path';
import { parse } from 'csv-parse';
import { ImportReportBuilder } from './import-report';
import { openTextFile } from './open-text-file';

export interface CsvRow {
  /** Line where the record starts (1-based; the header is line 1). */
  line: number;
  /** Fields by header name. */
  fields: Record<string, string>;
}

export interface CsvRowsOptions {
  delimiter?: string;
  encoding?: BufferEncoding;
  /** Header names to use when the file has none. */
  header?: string[];
  /** Headers that must be present (checked on the first line). */
  required?: string[];
}

/**
 * Stream a CSV file as header-keyed rows. A row with the wrong column count or
 * broken quoting is reported as skipped and the stream goes on.
 */
export async function* readCsvRows(
  path: string,
  report: ImportReportBuilder,
  options: CsvRowsOptions = {},
): AsyncGenerator<CsvRow> {
  const file = basename(path);
  const source = await openTextFile(path, options.encoding ?? 'utf8');
  const parser = source.pipe(
    parse({
      bom: true,
      delimiter: options.delimiter ?? ',',
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
      on_skip: (err) => {
        const lines = (err as { lines?: unknown } | undefined)?.lines;
        report.skip(file, typeof lines === 'number' ? lines : 0, `unparseable row: ${err?.message ?? 'unknown error'}`);
        return undefined;
      },
    }),
  );
  // pipe() does not forward read errors (e.g. EIO, a file removed mid-read); the parser must see them.
  source.on('error', (e) => parser.destroy(e));
  let header = options.header;
  for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const { record, info } = chunk;
    // info.lines is the line the record ended on; count back over embedded newlines.
    const line = info.lines - countNewlines(record);
    if (!header) {
      header = record.map((h) => h.trim());
      const missing = (options.required ?? []).filter((r) => !header!.includes(r));
      if (missing.length > 0) {
        report.skip(file, line, `missing required column(s): ${missing.join(', ')}`);
        return;
      }
      continue;
    }
    if (record.length !== header.length) {
      report.skip(file, line, `expected ${header.length} columns, got ${record.length}`);
      continue;
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) fields[header[i]] = record[i];
    yield { line, fields };
  }
}

function countNewlines(record: string[]): number {
  let n = 0;
  for (const field of record) for (let i = 0; i < field.length; i++) if (field.charCodeAt(i) === 10) n++;
  return n;
}

/** Parse an integer field; undefined when it is not a plain integer. */
export function parseIntField(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  return Number(t);
}

/** Parse a finite decimal field; undefined otherwise. */
export function parseFloatField(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
