import { Inject, Injectable, Logger } from '@nestjs/common';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertModelVersion,
  AppConfig,
  InvalidInputError,
  ProgressReporter,
  Rng,
  silentProgress,
  TesseraConfig,
} from '@tessera/common';
import { Item, ModelRepository } from '@tessera/db';
import {
  COLDSTART_MODEL_ID,
  DEFAULT_MEDIA_PATCHES,
  ItemContentTokenizer,
  MediaPatchTokenizer,
  isPositive,
  parseColdStartConfig,
  runColdStartTraining,
  type ColdStartConfigInput,
  type ColdStartModelCard,
  type Interaction,
  type ItemTokens,
  type RankingTask,
} from '@tessera/models/coldstart';
import { CATALOGUE_MODALITIES } from './catalogue-content';
import { CatalogueDatasetLoader } from './catalogue-dataset.loader';
import { CatalogueMediaReader } from './catalogue-media.reader';

export interface TrainColdStartCommand {
  /** Catalogue source whose items and interactions train the model, e.g. `movielens`. */
  source: string;
  version?: string;
  config?: ColdStartConfigInput;
  /** Share of warm items held out for early stopping (default 0.1). */
  validationFraction?: number;
  /** Seeded cap on training users for quick runs (0 = all). */
  maxUsers?: number;
  /**
   * Learn from item pictures too (default true): image items' stills as `image` patches and video
   * items' sampled frames as a `video` frame sequence, each added only when some item has it.
   */
  media?: boolean;
  progress?: ProgressReporter;
}

export interface TrainColdStartResult {
  version: string;
  dir: string;
  card: ColdStartModelCard;
}

/** File beside the weights mapping the model's numeric ids back to catalogue ids. */
export const CATALOGUE_IDS_FILE = 'catalogue-ids.json';

/**
 * Trains the cold-start encoder on one catalogue source and registers the version. Checkpoints and
 * resume come from the model's training run; a version that exists already continues where it stopped.
 */
@Injectable()
export class TrainColdStartUsecase {
  private readonly logger = new Logger(TrainColdStartUsecase.name);

  constructor(
    @Inject(AppConfig.TOKEN) private readonly appConfig: TesseraConfig,
    private readonly loader: CatalogueDatasetLoader,
    private readonly models: ModelRepository,
    private readonly mediaReader: CatalogueMediaReader,
  ) {}

  async execute(cmd: TrainColdStartCommand): Promise<TrainColdStartResult> {
    const version = cmd.version ?? `v${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    assertModelVersion(version);
    const config = parseColdStartConfig(cmd.config ?? {});
    const { dataset, ids, items } = await this.loader.load(cmd.source);
    const tokenizer = new ItemContentTokenizer(CATALOGUE_MODALITIES);
    const itemTokens = new Map<number, ItemTokens>();
    for (const [id, content] of dataset.contents) itemTokens.set(id, tokenizer.tokenize(content));
    const media = cmd.media === false ? undefined : await this.mediaTokenizerFor(items);
    if (media) {
      for (const [i, item] of items.entries()) {
        const found = await this.mediaReader.tokensFor(item, media);
        Object.assign(itemTokens.get(i)!.modalities, found.modalities);
      }
    }
    const modalityCounts: Record<string, number> = {};
    for (const t of itemTokens.values())
      for (const name of Object.keys(t.modalities)) modalityCounts[name] = (modalityCounts[name] ?? 0) + 1;

    // early stopping on warm items held out whole (all their interactions), as cold items would be
    const rng = new Rng(config.seed ^ 0x7e55);
    const itemsWithData = [...new Set(dataset.interactions.map((x) => x.itemId))].sort((a, b) => a - b);
    const held = new Set(
      rng.shuffle([...itemsWithData]).slice(0, Math.round(itemsWithData.length * (cmd.validationFraction ?? 0.1))),
    );
    let users = [...new Set(dataset.interactions.map((x) => x.userId))].sort((a, b) => a - b);
    if (cmd.maxUsers && users.length > cmd.maxUsers)
      users = rng
        .shuffle(users)
        .slice(0, cmd.maxUsers)
        .sort((a, b) => a - b);
    const keep = new Set(users);
    const train: Interaction[] = [];
    const relevant = new Map<number, Set<number>>();
    for (const x of dataset.interactions) {
      if (!keep.has(x.userId)) continue;
      if (!held.has(x.itemId)) train.push(x);
      else if (isPositive(dataset.positive, x)) {
        if (!relevant.has(x.userId)) relevant.set(x.userId, new Set());
        relevant.get(x.userId)!.add(x.itemId);
      }
    }
    const positives = train.filter((x) => isPositive(dataset.positive, x));
    if (positives.length === 0) throw new InvalidInputError(`no positive interactions in "${cmd.source}" to train on`);
    const validation: RankingTask | undefined = relevant.size ? { candidates: [...held], relevant } : undefined;

    const rel = join('models', 'coldstart', version);
    const dir = join(this.appConfig.dataDir, rel);
    const progress = cmd.progress ?? silentProgress;
    // Counted in steps (known once training reports its first one), so the bar moves and its ETA is real.
    let totalSteps = 0;
    const { model, card } = await runColdStartTraining({
      outputDir: dir,
      version,
      config,
      tokenizer,
      media,
      userIds: users,
      data: { interactions: train, positives, itemTokens, validation },
      dataCard: {
        source: cmd.source,
        items: dataset.itemIds.length,
        users: users.length,
        trainInteractions: train.length,
        heldOutItems: held.size,
        positiveRule: dataset.positive,
        // items holding each modality: the modalities this version actually learned from
        modalities: modalityCounts,
        ...(media ? {} : { media: cmd.media === false ? 'off' : 'no item of this source has stored images or frames' }),
      },
      onProgress: (p) => {
        if (totalSteps === 0) progress.start((totalSteps = p.epochs * p.stepsPerEpoch));
        progress.update((p.epoch - 1) * p.stepsPerEpoch + p.step, {
          epoch: `${p.epoch}/${p.epochs}`,
          loss: p.loss,
          ...(p.validationRecall !== undefined ? { valRecall: p.validationRecall } : {}),
        });
      },
    });
    progress.stop();
    const warmItems = [...new Set(train.map((x) => x.itemId))].sort((a, b) => a - b);
    await writeFile(join(dir, CATALOGUE_IDS_FILE), JSON.stringify({ ...ids, warmItems }));
    model.dispose();
    const existing = await this.models.find(COLDSTART_MODEL_ID, version);
    if (existing) await this.models.updateCard(COLDSTART_MODEL_ID, version, card as unknown as Record<string, unknown>);
    else
      await this.models.register({
        modelId: COLDSTART_MODEL_ID,
        version,
        kind: 'coldstart',
        dir: rel,
        dim: card.dim,
        card: card as unknown as Record<string, unknown>,
        status: 'ready',
      });
    await this.models.setStatus(COLDSTART_MODEL_ID, version, 'ready');
    this.logger.log({
      msg: 'cold-start model trained',
      version,
      dim: card.dim,
      metrics: card.metrics,
      modalities: modalityCounts,
    });
    return { version, dir, card };
  }

  /** Image and/or video settings when some items of the source have stored stills or frames. */
  private async mediaTokenizerFor(items: Item[]): Promise<MediaPatchTokenizer | undefined> {
    let image = false;
    let video = false;
    for (const item of items) {
      if ((item.kind === 'image' && image) || (item.kind === 'video' && video)) continue;
      const found = await this.mediaReader.framesOf(item);
      if (found?.kind === 'image') image = true;
      if (found?.kind === 'video') video = true;
      if (image && video) break;
    }
    if (!image && !video) return undefined;
    return new MediaPatchTokenizer({
      ...(image ? { image: DEFAULT_MEDIA_PATCHES.image } : {}),
      ...(video ? { video: DEFAULT_MEDIA_PATCHES.video } : {}),
    });
  }
}
