import { open } from 'node:fs/promises';
import { UnsupportedMediaError } from '@tessera/common';
import { looksLikeText, sniffMediaFormat } from '@tessera/ingest/datasets';
import type { ItemKind } from '@tessera/db';

export interface SniffedMedia {
  kind: Extract<ItemKind, 'video' | 'image' | 'text'>;
  format: string;
  mediaType: string;
}

const MEDIA_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avi: 'video/x-msvideo',
  webm: 'video/webm',
  matroska: 'video/x-matroska',
  mp4: 'video/mp4',
  quicktime: 'video/quicktime',
  text: 'text/plain; charset=utf-8',
};

/** What a stored file is, by its first bytes (never by the name a client sent). */
export async function sniffStoredFile(path: string, filename = 'upload'): Promise<SniffedMedia> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    if (bytesRead === 0) throw new UnsupportedMediaError(`${filename} is empty`, { filename });
    const media = sniffMediaFormat(bytes);
    if (media)
      return {
        kind: media.kind as SniffedMedia['kind'],
        format: media.format,
        mediaType: MEDIA_TYPES[media.format] ?? 'application/octet-stream',
      };
    if (looksLikeText(bytes)) return { kind: 'text', format: 'text', mediaType: MEDIA_TYPES.text };
    throw new UnsupportedMediaError(`${filename} is not a video, image or UTF-8 text file Tessera can read`, {
      filename,
    });
  } finally {
    await handle.close();
  }
}
