import { ImportReport, ImportReportBuilder } from './import-report';

/** Drain a parser into an array together with its report (for small files and tests). */
export async function collectRecords<T>(
  parse: (report: ImportReportBuilder) => AsyncIterable<T>,
  report: ImportReportBuilder = new ImportReportBuilder(),
): Promise<{ records: T[]; report: ImportReport }> {
  const records: T[] = [];
  for await (const r of parse(report)) records.push(r);
  return { records, report: report.toReport() };
}
