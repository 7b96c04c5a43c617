import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidInputError, UnsupportedMediaError } from '@tessera/common';
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
    if (bytesRead === 0) throw new InvalidInputError(`${filename} is empty`, { filename });
    const media = sniffMediaFormat(bytes);
    const sniffed: SniffedMedia | undefined = media
      ? {
          kind: media.kind as SniffedMedia['kind'],
          format: media.format,
          mediaType: MEDIA_TYPES[media.format] ?? 'application/octet-stream',
        }
      : looksLikeText(bytes)
        ? { kind: 'text', format: 'text', mediaType: MEDIA_TYPES.text }
        : undefined;
    if (!sniffed)
      throw new UnsupportedMediaError(`${filename} is not a video, image or UTF-8 text file Tessera can read`, {
        filename,
      });
    // a name that promises media the bytes do not hold is refused rather than silently reinterpreted
    const claimed = claimedKind(filename);
    if (claimed && claimed !== sniffed.kind) {
      const found = sniffed.kind === 'text' ? 'text' : sniffed.format;
      throw new UnsupportedMediaError(`${filename} is named like a ${claimed} file but its content is ${found}`, {
        filename,
        claimed,
        found,
      });
    }
    return sniffed;
  } finally {
    await handle.close();
  }
}

const VIDEO_EXT = new Set(['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi']);
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.gif', '.webp']);

function claimedKind(filename: string): 'video' | 'image' | undefined {
  const ext = extname(filename).toLowerCase();
  return VIDEO_EXT.has(ext) ? 'video' : IMAGE_EXT.has(ext) ? 'image' : undefined;
}
