import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '@tessera/common';
import { writeTruncatedMp4 } from '@tessera/testing';
import { AssetRepository, ClipRepository, ItemRepository } from '@tessera/db';
import { GetItemUsecase, IngestFolderUsecase, PlatformModule } from '../../apps/platform/src';

// Real SQLite, real blob store, real ffmpeg and sharp over the bundled public-domain clips.
describe('folder ingestion through the platform use cases', () => {
  let app: INestApplicationContext;
  let folder: string;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-ingest-'));
    folder = join(dataDir, 'incoming');
    mkdirSync(folder);
    const fixtures = join(projectRoot(), 'test/fixtures/video');
    for (const f of ['popeye/popeye-p2.mkv', 'popeye/popeye-p2.eng.srt'])
      copyFileSync(join(fixtures, f), join(folder, f.split('/')[1]));
    // a second folder with one video and a subtitle file named differently: paired by the one-video rule
    mkdirSync(join(folder, 'demo'));
    for (const f of ['echo-hereweare.webm', 'mediaelement.srt'])
      copyFileSync(join(fixtures, 'mediaelement', f), join(folder, 'demo', f));
    writeFileSync(join(folder, 'empty.mp4'), '');
    writeFileSync(join(folder, 'not-a-video.mp4'), 'this is plain text pretending to be a video\n');
    writeFileSync(join(folder, 'note.txt'), 'A short note about sailors and spinach.\n');
    // a real MP4 cut in half: the container signature is right, the index (moov) is missing
    writeTruncatedMp4(join(folder, 'truncated.mp4'));
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    app = await NestFactory.createApplicationContext(PlatformModule.forRoot(config), { logger: false });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('ingests videos with subtitles into captioned clips, reports bad files per item, and is idempotent', async () => {
    const ingest = app.get(IngestFolderUsecase);
    const first = await ingest.execute({ path: folder });

    const byPath = Object.fromEntries(first.created.map((c) => [c.relPath, c]));
    expect(Object.keys(byPath).sort()).toEqual(['demo/echo-hereweare.webm', 'note.txt', 'popeye-p2.mkv']);
    expect(byPath['popeye-p2.mkv'].clips).toBeGreaterThan(3);
    const failed = Object.fromEntries(first.failed.map((f) => [f.relPath, f.error]));
    expect(Object.keys(failed)).toEqual(['truncated.mp4']);
    expect(failed['truncated.mp4']).toMatch(/invalid_input/);
    expect(first.skipped.map((s) => s.relPath).sort()).toEqual(['empty.mp4', 'not-a-video.mp4']);

    const echo = await app.get(GetItemUsecase).execute(byPath['demo/echo-hereweare.webm'].itemId);
    expect(echo.item.metadata.subtitleAssetId).toEqual(expect.any(String));
    expect(echo.clips.some((c) => /HTML5/.test(c.caption ?? ''))).toBe(true);

    const details = await app.get(GetItemUsecase).execute(byPath['popeye-p2.mkv'].itemId);
    expect(details.item.metadata).toMatchObject({ ingest: { state: 'ready' }, durationS: expect.any(Number) });
    expect(details.clips.length).toBe(byPath['popeye-p2.mkv'].clips);
    expect(details.clips.some((c) => (c.caption ?? '').length > 0)).toBe(true);
    expect(details.clips.every((c) => c.thumbnailAssetId)).toBe(true);
    for (let i = 1; i < details.clips.length; i++)
      expect(details.clips[i].startS).toBeGreaterThanOrEqual(details.clips[i - 1].startS);

    const itemsBefore = await app.get(ItemRepository).count();
    const clipsBefore = (await app.get(ClipRepository).listForItem(byPath['popeye-p2.mkv'].itemId)).length;
    const second = await ingest.execute({ path: folder });
    expect(second.created).toEqual([]);
    expect(second.failed.map((f) => f.relPath)).toEqual(['truncated.mp4']);
    expect(second.unchanged.map((u) => u.relPath).sort()).toEqual([
      'demo/echo-hereweare.webm',
      'note.txt',
      'popeye-p2.mkv',
    ]);
    expect(await app.get(ItemRepository).count()).toBe(itemsBefore);
    expect((await app.get(ClipRepository).listForItem(byPath['popeye-p2.mkv'].itemId)).length).toBe(clipsBefore);
    const thumb = await app.get(AssetRepository).getById(details.clips[0].thumbnailAssetId!);
    expect(thumb.mediaType).toBe('image/jpeg');
  });
});
