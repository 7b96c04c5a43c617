import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '@tessera/common';
import { renderModelCardMarkdown, type ModelCardEvaluation } from '@tessera/eval';
import { loadCheckpoint, ParamStore, saveCheckpoint } from '@tessera/tensor';
import { SubwordTokenizer } from '@tessera/text';
import {
  VttwinsTextEncoder,
  VttwinsVideoEncoder,
  type TextEncoderConfig,
  type VideoEncoderConfig,
} from '@tessera/models/vttwins';

export const VTTWINS_MODEL_ID = 'tessera-vttwins';
export const VTTWINS_CLIPS_ALIAS = 'vttwins-clips';
export const VTTWINS_CAPTIONS_ALIAS = 'vttwins-captions';

export interface VttwinsCard {
  modelId: typeof VTTWINS_MODEL_ID;
  version: string;
  createdAt: string;
  video: VideoEncoderConfig;
  text: TextEncoderConfig;
  training: Record<string, unknown>;
  data: Record<string, unknown>;
  metrics: Record<string, number>;
  backend: string;
  /** `tessera eval vttwins` results by part (synthetic, real-video, moments). */
  evaluations?: Record<string, ModelCardEvaluation>;
}

/** A loaded VT-TWINS version: both encoders over one ParamStore, and the caption tokenizer. */
export class VttwinsModel {
  constructor(
    readonly card: VttwinsCard,
    readonly store: ParamStore,
    readonly video: VttwinsVideoEncoder,
    readonly text: VttwinsTextEncoder,
    readonly tokenizer: SubwordTokenizer,
    /** Token ids seen in training captions: a query with none of them cannot be understood. */
    readonly knownTokens: Set<number>,
  ) {}

  static create(card: VttwinsCard, tokenizer: SubwordTokenizer, knownTokens: Set<number>): VttwinsModel {
    const store = new ParamStore();
    return new VttwinsModel(
      card,
      store,
      new VttwinsVideoEncoder(card.video, store),
      new VttwinsTextEncoder(card.text, store),
      tokenizer,
      knownTokens,
    );
  }

  /** Caption token ids, padded to the text encoder's length (0 = pad). */
  async tokenize(texts: string[]): Promise<Int32Array> {
    const { ids } = await this.tokenizer.encodeBatchFlat(texts, {
      maxLength: this.card.text.maxWords,
      addSpecial: false,
    });
    return ids;
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const q = text.trim();
    if (!q) throw new InvalidInputError('the query is empty');
    const ids = await this.tokenize([q]);
    if (!Array.from(ids).some((id) => id !== 0 && this.knownTokens.has(id)))
      throw new InvalidInputError(
        'the query shares no words with what this model was trained on (unknown script or vocabulary)',
        { query: q },
      );
    return this.text.embed(ids, 1);
  }

  async save(dir: string): Promise<void> {
    await saveCheckpoint(dir, this.store, { meta: { card: this.card } });
    await mkdir(join(dir, 'tokenizer'), { recursive: true });
    await this.tokenizer.save(join(dir, 'tokenizer'));
    await writeFile(join(dir, 'known-tokens.json'), JSON.stringify([...this.knownTokens]));
    await writeFile(join(dir, 'card.json'), JSON.stringify(this.card, null, 2));
    await writeFile(join(dir, 'card.md'), renderModelCardMarkdown(this.card));
  }

  static async load(dir: string): Promise<VttwinsModel> {
    const card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as VttwinsCard;
    const tokenizer = await SubwordTokenizer.load(join(dir, 'tokenizer'));
    const known = new Set(JSON.parse(await readFile(join(dir, 'known-tokens.json'), 'utf8')) as number[]);
    const model = VttwinsModel.create(card, tokenizer, known);
    await loadCheckpoint(dir, model.store);
    return model;
  }

  dispose(): void {
    this.store.dispose();
  }
}
