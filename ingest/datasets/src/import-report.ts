/** One row a parser refused, with where and why. */
export interface SkippedRow {
  file: string;
  /** 1-based line (CSV: the line where the record started; JSON arrays: the element index). */
  line: number;
  reason: string;
}

/** What an import produced: records per kind and every row it skipped. */
export interface ImportReport {
  imported: Record<string, number>;
  skipped: SkippedRow[];
  /** Total skipped rows, also when `skipped` was capped. */
  skippedCount: number;
}

/**
 * Collects counts and skip reasons while parsers stream. One builder can be
 * shared across the files of a dataset so the caller gets a single report.
 */
export class ImportReportBuilder {
  private readonly imported: Record<string, number> = {};
  private readonly skipped: SkippedRow[] = [];
  private skippedCount = 0;

  /** `maxSkipped` caps the stored reasons (a broken file must not fill memory); the count stays exact. */
  constructor(private readonly maxSkipped = 10_000) {}

  count(kind: string, n = 1): void {
    this.imported[kind] = (this.imported[kind] ?? 0) + n;
  }

  skip(file: string, line: number, reason: string): void {
    this.skippedCount++;
    if (this.skipped.length < this.maxSkipped) this.skipped.push({ file, line, reason });
  }

  get(kind: string): number {
    return this.imported[kind] ?? 0;
  }

  toReport(): ImportReport {
    return { imported: { ...this.imported }, skipped: [...this.skipped], skippedCount: this.skippedCount };
  }
}
