import { join } from 'node:path';
import { ImportReportBuilder } from './import-report';
import { parseFloatField, parseIntField, readCsvRows } from './csv-rows';
import type { JokeRecord, RatingRecord } from './dataset-records';

/** jester_items.csv: jokeId, jokeText (CRLF, multi-line quoted text). */
export async function* readJesterJokes(dir: string, report: ImportReportBuilder): AsyncGenerator<JokeRecord> {
  const file = 'jester_items.csv';
  for await (const { line, fields } of readCsvRows(join(dir, file), report, { required: ['jokeId', 'jokeText'] })) {
    const jokeId = parseIntField(fields.jokeId);
    const text = fields.jokeText.replace(/\r\n/g, '\n').trim();
    if (jokeId === undefined || text === '') {
      report.skip(file, line, 'bad jokeId or empty text');
      continue;
    }
    report.count('jokes');
    yield { jokeId, text };
  }
}

/** jester_ratings.csv: userId, jokeId, rating in −10…+10 (continuous). */
export async function* readJesterRatings(dir: string, report: ImportReportBuilder): AsyncGenerator<RatingRecord> {
  const file = 'jester_ratings.csv';
  for await (const { line, fields } of readCsvRows(join(dir, file), report, {
    required: ['userId', 'jokeId', 'rating'],
  })) {
    const userId = parseIntField(fields.userId);
    const itemId = parseIntField(fields.jokeId);
    const rating = parseFloatField(fields.rating);
    if (userId === undefined || itemId === undefined || rating === undefined) {
      report.skip(file, line, 'non-numeric userId, jokeId or rating');
      continue;
    }
    if (rating < -10 || rating > 10) {
      report.skip(file, line, `rating ${rating} outside -10..10`);
      continue;
    }
    report.count('ratings');
    yield { userId, itemId, rating };
  }
}
