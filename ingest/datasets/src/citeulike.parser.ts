import { basename, join } from 'node:path';
import { ImportReportBuilder } from './import-report';
import { readLines } from './line-reader';
import type { ItemListRecord, RatingRecord, TagNameRecord } from './dataset-records';

/**
 * CiteULike-a "count-prefixed list" files (users.dat, item-tag.dat, citations.dat):
 * line i (0-based) is `N v_1 … v_N` for id i. A line whose count disagrees with
 * its values is skipped; ids stay aligned with line numbers regardless.
 */
export async function* readCountPrefixedLists(
  path: string,
  kind: string,
  report: ImportReportBuilder,
): AsyncGenerator<ItemListRecord> {
  const file = basename(path);
  for await (const { line, text } of readLines(path)) {
    const id = line - 1;
    const parts = text.trim() === '' ? [] : text.trim().split(/\s+/);
    if (parts.length === 0) {
      report.skip(file, line, 'empty line');
      continue;
    }
    const nums = parts.map(Number);
    if (nums.some((n) => !Number.isInteger(n) || n < 0)) {
      report.skip(file, line, 'non-integer value');
      continue;
    }
    const [count, ...values] = nums;
    if (count !== values.length) {
      report.skip(file, line, `count says ${count}, line has ${values.length} values`);
      continue;
    }
    report.count(kind);
    yield { id, values };
  }
}

/** users.dat as implicit interactions (rating 1) of user = line index with each listed item. */
export async function* readCiteULikeInteractions(
  dir: string,
  report: ImportReportBuilder,
): AsyncGenerator<RatingRecord> {
  for await (const { id, values } of readCountPrefixedLists(join(dir, 'users.dat'), 'users', report)) {
    for (const itemId of values) {
      report.count('interactions');
      yield { userId: id, itemId, rating: 1 };
    }
  }
}

export function readCiteULikeItemTags(dir: string, report: ImportReportBuilder): AsyncGenerator<ItemListRecord> {
  return readCountPrefixedLists(join(dir, 'item-tag.dat'), 'itemTags', report);
}

export function readCiteULikeCitations(dir: string, report: ImportReportBuilder): AsyncGenerator<ItemListRecord> {
  return readCountPrefixedLists(join(dir, 'citations.dat'), 'citations', report);
}

/** tags.dat: tag string per line; line index (0-based) = tag id. */
export async function* readCiteULikeTagNames(dir: string, report: ImportReportBuilder): AsyncGenerator<TagNameRecord> {
  for await (const { line, text } of readLines(join(dir, 'tags.dat'))) {
    const tag = text.trim();
    if (tag === '') {
      report.skip('tags.dat', line, 'empty tag');
      continue;
    }
    report.count('tagNames');
    yield { tagId: line - 1, tag };
  }
}
