import { Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidInputError, NotFoundError, ProgressReporter, silentProgress } from '@tessera/common';
import {
  Interaction,
  InteractionRepository,
  ItemRepository,
  NewItem,
  TextRepository,
  UserRepository,
  ClipRepository,
  NewItemText,
  NewClip,
} from '@tessera/db';
import * as ds from '@tessera/ingest/datasets';
import type { ImportReport, RatingRecord } from '@tessera/ingest/datasets';

export const DATASETS = ['movielens', 'ml-100k', 'citeulike', 'jester', 'qvhighlights', 'didemo'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface ImportDatasetCommand {
  dataset: string;
  /** A dataset folder (MovieLens, CiteULike, Jester) or annotation file (QVHighlights, DiDeMo). */
  path: string;
  /** MovieLens only: TMDB 5000 movies CSV for plot overviews (default: ../tmdb-5000 beside the folder when present). */
  tmdbPath?: string;
  progress?: ProgressReporter;
}

export interface ImportDatasetResult {
  dataset: DatasetName;
  report: ImportReport;
  written: Record<string, number>;
}

type Writer = (
  cmd: ImportDatasetCommand,
  report: ds.ImportReportBuilder,
  written: Record<string, number>,
) => Promise<void>;

/**
 * Writes a public dataset into the catalogue: items with their texts, users and interactions
 * (or, for moment annotations, videos with captioned clips). Parsers skip and report bad rows;
 * rows already stored are skipped, so running an import twice changes nothing.
 */
@Injectable()
export class ImportDatasetUsecase {
  private readonly writers: Record<DatasetName, Writer> = {
    movielens: (c, r, w) => this.importMovieLens(c, r, w, 'latest'),
    'ml-100k': (c, r, w) => this.importMovieLens(c, r, w, '100k'),
    citeulike: (c, r, w) => this.importCiteULike(c, r, w),
    jester: (c, r, w) => this.importJester(c, r, w),
    qvhighlights: (c, r, w) => this.importMoments(c, r, w, 'qvhighlights'),
    didemo: (c, r, w) => this.importMoments(c, r, w, 'didemo'),
  };

  constructor(
    private readonly items: ItemRepository,
    private readonly texts: TextRepository,
    private readonly users: UserRepository,
    private readonly interactions: InteractionRepository,
    private readonly clips: ClipRepository,
  ) {}

  async execute(cmd: ImportDatasetCommand): Promise<ImportDatasetResult> {
    if (!(DATASETS as readonly string[]).includes(cmd.dataset))
      throw new InvalidInputError(`unknown dataset "${cmd.dataset}"; known: ${DATASETS.join(', ')}`, {
        dataset: cmd.dataset,
      });
    const path = resolve(cmd.path);
    if (!existsSync(path)) throw new NotFoundError(`dataset path not found: ${path}`, { path });
    const report = new ds.ImportReportBuilder(1000);
    const written: Record<string, number> = {};
    await this.writers[cmd.dataset as DatasetName]({ ...cmd, path }, report, written);
    return { dataset: cmd.dataset as DatasetName, report: report.toReport(), written };
  }

  private async importMovieLens(
    cmd: ImportDatasetCommand,
    report: ds.ImportReportBuilder,
    written: Record<string, number>,
    layout: 'latest' | '100k',
  ) {
    const source = layout === 'latest' ? 'movielens' : 'ml-100k';
    const movies = await drain(
      layout === 'latest' ? ds.readMovieLensMovies(cmd.path, report) : ds.readMl100kMovies(cmd.path, report),
    );
    const items: NewItem[] = movies.map((m) => ({
      kind: 'dataset-item',
      source,
      externalId: String(m.movieId),
      title: m.title,
      metadata: { year: m.year, genres: m.genres },
      licence: 'GroupLens research licence (non-commercial)',
    }));
    await this.writeItems(items, written, cmd.progress);
    const ids = await this.items.idsByExternal(
      source,
      items.map((i) => i.externalId),
    );
    const texts: NewItemText[] = [];
    for (const m of movies) {
      const itemId = ids.get(String(m.movieId))!;
      texts.push({ itemId, field: 'title', language: 'en', text: m.title });
      if (m.genres.length) texts.push({ itemId, field: 'genres', language: 'en', text: m.genres.join(', ') });
    }
    const tmdb = cmd.tmdbPath ?? join(cmd.path, '..', 'tmdb-5000', 'tmdb_5000_movies.csv');
    if (layout === 'latest' && existsSync(tmdb)) {
      for await (const o of ds.joinTmdbOverviews(ds.readMovieLensLinks(cmd.path, report), tmdb, report)) {
        const itemId = ids.get(String(o.movieId));
        if (!itemId) continue;
        texts.push({ itemId, field: 'overview', language: 'en', text: o.overview });
        if (o.tagline) texts.push({ itemId, field: 'tagline', language: 'en', text: o.tagline });
      }
    }
    await this.writeTexts(texts, written);
    const ratings =
      layout === 'latest' ? ds.readMovieLensRatings(cmd.path, report) : ds.readMl100kRatings(cmd.path, report);
    await this.writeRatings(source, ratings, ids, written, report, cmd.progress);
  }

  private async importCiteULike(
    cmd: ImportDatasetCommand,
    report: ds.ImportReportBuilder,
    written: Record<string, number>,
  ) {
    const tagNames = new Map<number, string>();
    for await (const t of ds.readCiteULikeTagNames(cmd.path, report)) tagNames.set(t.tagId, t.tag);
    const itemTags = await drain(ds.readCiteULikeItemTags(cmd.path, report));
    const items: NewItem[] = itemTags.map((r) => ({
      kind: 'dataset-item',
      source: 'citeulike',
      externalId: String(r.id),
      title: null,
      metadata: { tagCount: r.values.length },
      licence: 'CiteULike-a (academic research dataset)',
    }));
    await this.writeItems(items, written, cmd.progress);
    const ids = await this.items.idsByExternal(
      'citeulike',
      items.map((i) => i.externalId),
    );
    const texts: NewItemText[] = itemTags
      .filter((r) => r.values.length > 0)
      .map((r) => ({
        itemId: ids.get(String(r.id))!,
        field: 'tags',
        language: 'en',
        text: r.values.map((t) => tagNames.get(t) ?? `tag${t}`).join(', '),
      }));
    await this.writeTexts(texts, written);
    await this.writeRatings(
      'citeulike',
      ds.readCiteULikeInteractions(cmd.path, report),
      ids,
      written,
      report,
      cmd.progress,
    );
  }

  private async importJester(
    cmd: ImportDatasetCommand,
    report: ds.ImportReportBuilder,
    written: Record<string, number>,
  ) {
    const jokes = await drain(ds.readJesterJokes(cmd.path, report));
    const items: NewItem[] = jokes.map((j) => ({
      kind: 'dataset-item',
      source: 'jester',
      externalId: String(j.jokeId),
      title: `Joke ${j.jokeId}`,
      metadata: {},
      licence: 'Jester (research use with citation)',
    }));
    await this.writeItems(items, written, cmd.progress);
    const ids = await this.items.idsByExternal(
      'jester',
      items.map((i) => i.externalId),
    );
    await this.writeTexts(
      jokes.map((j) => ({ itemId: ids.get(String(j.jokeId))!, field: 'body', language: 'en', text: j.text })),
      written,
    );
    await this.writeRatings('jester', ds.readJesterRatings(cmd.path, report), ids, written, report, cmd.progress);
  }

  /** Annotated moments: one item per source video, one captioned clip per (query, window). */
  private async importMoments(
    cmd: ImportDatasetCommand,
    report: ds.ImportReportBuilder,
    written: Record<string, number>,
    source: 'qvhighlights' | 'didemo',
  ) {
    const byVideo = new Map<string, { duration?: number; moments: { text: string; startS: number; endS: number }[] }>();
    const add = (vid: string, duration: number | undefined, text: string, windows: [number, number][]) => {
      const entry = byVideo.get(vid) ?? { duration, moments: [] };
      for (const [startS, endS] of windows) entry.moments.push({ text, startS, endS });
      byVideo.set(vid, entry);
    };
    if (source === 'qvhighlights') {
      for await (const q of ds.readQvHighlights(cmd.path, report)) add(q.vid, q.duration, q.query, q.relevantWindows);
    } else {
      for await (const d of ds.readDidemo(cmd.path, report))
        add(d.video, undefined, d.description, d.windows.slice(0, 1));
    }
    const items: NewItem[] = [...byVideo].map(([vid, v]) => ({
      kind: 'dataset-item',
      source,
      externalId: vid,
      title: vid,
      metadata: { durationS: v.duration, annotationsOnly: true },
      licence: source === 'qvhighlights' ? 'CC BY-NC-SA 4.0 (annotations)' : 'BSD 2-Clause (annotations)',
    }));
    await this.writeItems(items, written, cmd.progress);
    const ids = await this.items.idsByExternal(
      source,
      items.map((i) => i.externalId),
    );
    const clips: NewClip[] = [];
    for (const [vid, v] of byVideo) {
      const itemId = ids.get(vid)!;
      // re-import replaces the item's clips instead of duplicating them
      if ((await this.clips.listForItem(itemId)).length > 0) continue;
      for (const m of v.moments) clips.push({ itemId, startS: m.startS, endS: m.endS, caption: m.text });
    }
    const res = await this.clips.insertMany(clips);
    written.clips = (written.clips ?? 0) + res.inserted;
  }

  private async writeItems(items: NewItem[], written: Record<string, number>, progress = silentProgress) {
    progress.start(items.length);
    const res = await this.items.insertMany(items, { onBatch: (done) => progress.update(done, { stage: 'items' }) });
    progress.stop();
    written.items = (written.items ?? 0) + res.inserted;
    written.itemsAlreadyStored = (written.itemsAlreadyStored ?? 0) + res.skipped;
  }

  private async writeTexts(texts: NewItemText[], written: Record<string, number>) {
    // texts have no natural key: an item's texts are written only on its first import
    const fresh = [];
    const seen = new Map<string, boolean>();
    for (const t of texts) {
      if (!seen.has(t.itemId)) seen.set(t.itemId, (await this.texts.listForItem(t.itemId)).length === 0);
      if (seen.get(t.itemId)) fresh.push(t);
    }
    const res = await this.texts.insertMany(fresh);
    written.texts = (written.texts ?? 0) + res.inserted;
  }

  private async writeRatings(
    source: string,
    ratings: AsyncIterable<RatingRecord>,
    itemIds: Map<string, string>,
    written: Record<string, number>,
    report: ds.ImportReportBuilder,
    progress = silentProgress,
  ) {
    const rows = await drain(ratings);
    const userExternal = [...new Set(rows.map((r) => String(r.userId)))];
    const users = await this.users.insertMany(userExternal.map((externalId) => ({ source, externalId })));
    written.users = (written.users ?? 0) + users.inserted;
    const userIds = await this.users.idsByExternal(source, userExternal);
    const interactions: Interaction[] = [];
    for (const r of rows) {
      const itemId = itemIds.get(String(r.itemId));
      if (!itemId) {
        report.skip(source, 0, `rating of unknown item ${r.itemId} by user ${r.userId}`);
        continue;
      }
      interactions.push({
        userId: userIds.get(String(r.userId))!,
        itemId,
        value: r.rating,
        ts: (r.timestamp ?? 0) * 1000,
      });
    }
    progress.start(interactions.length);
    const res = await this.interactions.insertMany(interactions, {
      onBatch: (done) => progress.update(done, { stage: 'interactions' }),
    });
    progress.stop();
    written.interactions = (written.interactions ?? 0) + res.inserted;
  }
}

async function drain<T>(records: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of records) out.push(r);
  return out;
}
