import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import {
  AppConfig,
  describeError,
  InvalidInputError,
  ProgressReporter,
  Rng,
  silentProgress,
  TesseraConfig,
} from '@tessera/common';
import { AssetRepository, BlobStore, ClipRepository, ItemRepository, ModelRepository } from '@tessera/db';
import { FfmpegMediaRepository } from '@tessera/ingest/video';
import { VttwinsConfig, VttwinsTrainer, type VttwinsBatch } from '@tessera/models/vttwins';
import { describeBackend } from '@tessera/tensor';
import { SubwordTokenizer } from '@tessera/text';
import { VTTWINS_MODEL_ID, VttwinsCard, VttwinsModel } from './vttwins-model.store';

export interface TrainVttwinsCommand {
  version?: string;
  steps?: number;
  /** Clip/caption pairs per training sequence (n). */
  clipsPerVideo?: number;
  /** Sequences per batch (b ≥ 2). */
  batchSize?: number;
  seed?: number;
  progress?: ProgressReporter;
}

/** Sampled frames and caption of one clip, ready for the encoders. */
interface PreparedClip {
  frames: Uint8Array;
  caption: string;
}

const FRAME = { frames: 4, height: 32, width: 32, channels: 3 } as const;

/**
 * Trains VT-TWINS on the catalogue's ingested videos: each video is a sequence of (clip frames,
 * caption) pairs with the captions as they came (shifted, missing or unrelated: the S2DTW loss is
 * meant for that). Videos with too few clips are skipped with a reason.
 */
@Injectable()
export class TrainVttwinsUsecase {
  private readonly logger = new Logger(TrainVttwinsUsecase.name);

  constructor(
    @Inject(AppConfig.TOKEN) private readonly appConfig: TesseraConfig,
    private readonly items: ItemRepository,
    private readonly clips: ClipRepository,
    private readonly assets: AssetRepository,
    private readonly blobs: BlobStore,
    private readonly ffmpeg: FfmpegMediaRepository,
    private readonly models: ModelRepository,
  ) {}

  async execute(
    cmd: TrainVttwinsCommand = {},
  ): Promise<{ version: string; dir: string; card: VttwinsCard; skipped: { itemId: string; reason: string }[] }> {
    const version = cmd.version ?? `v${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    if (!/^[\w.-]{1,64}$/.test(version)) throw new InvalidInputError(`invalid model version "${version}"`);
    const n = cmd.clipsPerVideo ?? 4;
    const videos: PreparedClip[][] = [];
    const skipped: { itemId: string; reason: string }[] = [];
    for (const item of await this.items.list({ kind: 'video', limit: 10_000 })) {
      const clips = await this.clips.listForItem(item.id);
      if (clips.length < n) {
        skipped.push({
          itemId: item.id,
          reason: `${clips.length} clips, fewer than the ${n} a training sequence needs`,
        });
        continue;
      }
      if (!clips.some((c) => c.caption)) {
        skipped.push({
          itemId: item.id,
          reason: 'no captions: nothing to align (trained on as unlabeled frames is not supported)',
        });
        continue;
      }
      try {
        const asset = await this.assets.getById(String(item.metadata.originalAssetId));
        const sampled = await this.ffmpeg.sampleClips(await this.blobs.locate(asset.contentHash), clips, {
          fps: 2,
          width: FRAME.width,
          height: FRAME.height,
          maxFramesPerClip: FRAME.frames,
        });
        videos.push(sampled.clips.map((c, i) => ({ frames: stackFrames(c.frames), caption: clips[i].caption ?? '' })));
      } catch (e) {
        skipped.push({ itemId: item.id, reason: describeError(e) });
      }
    }
    if (videos.length < 2)
      throw new InvalidInputError(
        `VT-TWINS needs at least 2 captioned videos with ${n}+ clips; found ${videos.length}`,
        { skipped },
      );

    const captions = videos.flat().map((c) => c.caption);
    const tokenizer = await SubwordTokenizer.train(captions.filter(Boolean), { vocabSize: 512, seed: cmd.seed ?? 1 });
    const config = VttwinsConfig.create({
      clipsPerVideo: n,
      batchSize: Math.min(cmd.batchSize ?? 4, videos.length),
      steps: cmd.steps ?? 60,
      learningRate: 3e-3,
      seed: cmd.seed ?? 1,
    });
    const card: VttwinsCard = {
      modelId: VTTWINS_MODEL_ID,
      version,
      createdAt: new Date().toISOString(),
      video: { ...FRAME, patch: 8, hidden: 64, jointDim: 32, seed: (cmd.seed ?? 1) + 1 },
      text: {
        vocabSize: tokenizer.vocabSize,
        maxWords: 20,
        wordDim: 64,
        hidden: 128,
        jointDim: 32,
        maskPaddingInMaxPool: true,
        seed: (cmd.seed ?? 1) + 2,
      },
      training: { ...config },
      data: { videos: videos.length, clips: captions.length, captioned: captions.filter(Boolean).length, skipped },
      metrics: {},
      backend: describeBackend().backend,
    };
    const tokenIds = await (async () => {
      const { ids } = await tokenizer.encodeBatchFlat(captions, { maxLength: card.text.maxWords, addSpecial: false });
      return ids;
    })();
    const known = new Set(Array.from(tokenIds).filter((id) => id !== 0));
    const model = VttwinsModel.create(card, tokenizer, known);
    const clipTokens: Int32Array[] = [];
    for (let i = 0; i < captions.length; i++)
      clipTokens.push(tokenIds.subarray(i * card.text.maxWords, (i + 1) * card.text.maxWords));
    const offsets: number[] = [];
    videos.reduce((acc, v) => (offsets.push(acc), acc + v.length), 0);

    // each step: b random videos, a random window of n consecutive clips from each
    const rng = new Rng(cmd.seed ?? 1);
    const nextBatch = (): VttwinsBatch => {
      const picks = rng.shuffle(videos.map((_, i) => i)).slice(0, config.batchSize);
      const frameSize = FRAME.frames * FRAME.height * FRAME.width * FRAME.channels;
      const frames = new Uint8Array(picks.length * n * frameSize);
      const tokens = new Int32Array(picks.length * n * card.text.maxWords);
      picks.forEach((v, b) => {
        const start = rng.int(videos[v].length - n + 1);
        for (let k = 0; k < n; k++) {
          frames.set(videos[v][start + k].frames, (b * n + k) * frameSize);
          tokens.set(clipTokens[offsets[v] + start + k], (b * n + k) * card.text.maxWords);
        }
      });
      return { videos: picks.length, frames, tokens };
    };
    const progress = cmd.progress ?? silentProgress;
    progress.start(config.steps);
    const trainer = new VttwinsTrainer(config, model.video, model.text, {
      onProgress: (p) => progress.update(p.step, { loss: p.loss }),
    });
    const losses = await trainer.train(nextBatch);
    progress.stop();
    card.metrics = { firstLoss: losses[0], lastLoss: losses[losses.length - 1], meanLastTen: mean(losses.slice(-10)) };

    const rel = join('models', 'vttwins', version);
    const dir = join(this.appConfig.dataDir, rel);
    await model.save(dir);
    model.dispose();
    if (await this.models.find(VTTWINS_MODEL_ID, version))
      await this.models.updateCard(VTTWINS_MODEL_ID, version, card as unknown as Record<string, unknown>);
    else
      await this.models.register({
        modelId: VTTWINS_MODEL_ID,
        version,
        kind: 'vttwins',
        dir: rel,
        dim: card.video.jointDim,
        card: card as unknown as Record<string, unknown>,
        status: 'ready',
      });
    this.logger.log({ msg: 'VT-TWINS trained', version, videos: videos.length, metrics: card.metrics });
    return { version, dir, card, skipped };
  }
}

/** A clip's frames as one frames × H × W × C array. */
function stackFrames(frames: Uint8Array[]): Uint8Array {
  const size = FRAME.height * FRAME.width * FRAME.channels;
  const out = new Uint8Array(FRAME.frames * size);
  for (let f = 0; f < FRAME.frames; f++)
    out.set(frames[Math.min(f, frames.length - 1)] ?? new Uint8Array(size), f * size);
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}
