import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import { initTensorBackend } from '@tessera/tensor';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadColdStartModel, parseColdStartConfig, runColdStartTraining } from '../training';
import { ItemContentTokenizer } from './item-content.tokenizer';
import type { ItemTokens } from './item-tokens.types';
import { evenlySpaced, MediaPatchTokenizer } from './media-patch.tokenizer';

let root: string;
beforeAll(async () => {
  await initTensorBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'coldstart-media-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** size² RGB bytes where pixel (x, y) has value f(x, y, channel). */
const pixels = (size: number, f: (x: number, y: number, c: number) => number) => {
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = f(x, y, c);
  return out;
};

describe('media patch tokenizer', () => {
  it('cuts a still into row-major patches, each patch contiguous, pixels centred', () => {
    const t = new MediaPatchTokenizer({ image: { size: 4, patch: 2 } });
    expect(t.modalitySpecs()).toEqual([{ name: 'image', kind: 'dense', inputDim: 12, maxLength: 4 }]);
    // value = x + 4y (same on every channel): patch (1, 0) holds x ∈ {2, 3}, y ∈ {0, 1}
    const { tokens } = t.imageTokens(pixels(4, (x, y) => x + 4 * y)) as { tokens: Float32Array[] };
    expect(tokens).toHaveLength(4);
    const firstChannel = (tok: Float32Array) => [0, 1, 2, 3].map((k) => Math.round((tok[k * 3] + 0.5) * 255));
    expect(firstChannel(tokens[1])).toEqual([2, 3, 6, 7]);
    expect(firstChannel(tokens[2])).toEqual([8, 9, 12, 13]);
    expect(tokens[0][0]).toBeCloseTo(-0.5, 6);
  });

  it('takes video frames evenly, one token per frame, and checks sizes', () => {
    const t = new MediaPatchTokenizer({ video: { size: 2, maxFrames: 3 } });
    expect(evenlySpaced(7, 3)).toEqual([0, 3, 6]);
    expect(evenlySpaced(2, 3)).toEqual([0, 1]);
    const frames = [0, 50, 100, 150, 200].map((v) => pixels(2, () => v));
    const { tokens } = t.videoTokens(frames) as { tokens: Float32Array[] };
    expect(tokens.map((tok) => Math.round((tok[0] + 0.5) * 255))).toEqual([0, 100, 200]);
    expect(tokens[0]).toHaveLength(12);
    expect(() => t.videoTokens([new Uint8Array(5)])).toThrow(DimensionMismatchError);
    expect(() => t.videoTokens([])).toThrow(/at least one frame/);
    expect(() => t.imageTokens(pixels(2, () => 0))).toThrow(/no image modality/);
  });

  it('rejects bad settings and round-trips its state', () => {
    expect(() => new MediaPatchTokenizer({ image: { size: 10, patch: 3 } })).toThrow(/must divide/);
    expect(() => new MediaPatchTokenizer({})).toThrow(InvalidInputError);
    const t = new MediaPatchTokenizer({ image: { size: 8, patch: 4 }, video: { size: 4, maxFrames: 2 } });
    const back = MediaPatchTokenizer.fromState(JSON.parse(JSON.stringify(t.state())));
    expect(back.modalitySpecs()).toEqual(t.modalitySpecs());
    expect(() => MediaPatchTokenizer.fromState({ kind: 'x' } as never)).toThrow(/unsupported/);
  });

  it('a model trained with image and video tokens records them in its card and reloads with identical embeddings', async () => {
    const media = new MediaPatchTokenizer({ image: { size: 4, patch: 2 }, video: { size: 2, maxFrames: 2 } });
    const text = new ItemContentTokenizer([{ name: 'text', fields: ['title'], maxLength: 4, buckets: 32 }]);
    // two colours; users 0-3 like red items, users 4-7 blue ones
    const colour = (i: number) => (i % 2 === 0 ? [255, 0, 0] : [0, 0, 255]);
    const itemTokens = new Map<number, ItemTokens>();
    for (let i = 0; i < 12; i++) {
      const rgb = colour(i);
      const still = pixels(4, (_x, _y, c) => rgb[c]);
      itemTokens.set(i, {
        modalities: {
          ...text.tokenize({ itemId: i, fields: { title: `item ${i}` } }).modalities,
          ...(i < 6
            ? { image: media.imageTokens(still) }
            : { video: media.videoTokens([pixels(2, (_x, _y, c) => rgb[c]), pixels(2, () => 9)]) }),
        },
      });
    }
    const interactions = [];
    for (let u = 0; u < 8; u++) for (let i = u < 4 ? 0 : 1; i < 12; i += 2) interactions.push({ userId: u, itemId: i });
    const dir = join(root, 'm1');
    const config = parseColdStartConfig({ dModel: 8, numHeads: 2, epochs: 2, batchSize: 16, maxSampledItems: 8 });
    const { model, card } = await runColdStartTraining({
      outputDir: dir,
      version: 'm1',
      config,
      tokenizer: text,
      media,
      userIds: [0, 1, 2, 3, 4, 5, 6, 7],
      data: { interactions, positives: interactions, itemTokens },
      dataCard: { source: 'synthetic' },
    });
    expect(card.encoder.modalities.map((m) => m.name)).toEqual(['text', 'image', 'video']);
    expect(card.media).toEqual(media.state());
    expect(JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')).media).toEqual(media.state());
    const items = [...itemTokens.values()];
    const before = await model.encodeItems(items);
    const loaded = await loadColdStartModel(dir);
    expect(loaded.model.media?.modalitySpecs()).toEqual(media.modalitySpecs());
    const after = await loaded.model.encodeItems(items);
    after.forEach((z, i) => z.forEach((v, k) => expect(v).toBeCloseTo(before[i][k], 5)));
    // the pixels matter: the same title with the other colour embeds differently
    const [red, blue] = await loaded.model.encodeItems(
      [0, 1].map((i) => ({ modalities: { image: itemTokens.get(i)!.modalities.image } })),
    );
    expect(red.some((v, k) => Math.abs(v - blue[k]) > 1e-4)).toBe(true);
    model.dispose();
    loaded.model.dispose();
  });
});
