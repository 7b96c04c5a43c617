import { open, opendir, lstat, realpath } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { NotFoundError, resolveInside } from '@tessera/common';
import { ImportReportBuilder } from './import-report';
import type { MediaFileRecord, MediaKind } from './dataset-records';

const EXTENSION_KIND: Record<string, MediaKind> = {
  '.mp4': 'video',
  '.m4v': 'video',
  '.mov': 'video',
  '.mkv': 'video',
  '.webm': 'video',
  '.avi': 'video',
  '.jpg': 'image',
  '.jpeg': 'image',
  '.png': 'image',
  '.gif': 'image',
  '.webp': 'image',
  '.txt': 'text',
  '.md': 'text',
  '.srt': 'text',
  '.vtt': 'text',
  '.json': 'text',
  '.jsonl': 'text',
  '.csv': 'text',
};

export interface MediaFolderScanOptions {
  /** Sub-folder of `root` to scan; refused if it escapes `root`. */
  subdir?: string;
  /** Largest file accepted (bytes); bigger ones are skipped. */
  maxBytes?: number;
  /** Follow symlinks that stay inside `root` (default true); ones that leave it are always refused. */
  followLinks?: boolean;
}

/** Identify a container by its first bytes; undefined when not a known media signature. */
export function sniffMediaFormat(head: Buffer): { kind: MediaKind; format: string } | undefined {
  const at = (offset: number, ascii: string) =>
    head.subarray(offset, offset + ascii.length).toString('latin1') === ascii;
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return { kind: 'image', format: 'jpeg' };
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return { kind: 'image', format: 'png' };
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return { kind: 'image', format: 'gif' };
  if (at(0, 'RIFF') && at(8, 'WEBP')) return { kind: 'image', format: 'webp' };
  if (at(0, 'RIFF') && at(8, 'AVI ')) return { kind: 'video', format: 'avi' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) {
    // EBML header: the DocType string says webm or matroska.
    return { kind: 'video', format: head.includes('webm', 0, 'latin1') ? 'webm' : 'matroska' };
  }
  if (at(4, 'ftyp')) return { kind: 'video', format: at(8, 'qt  ') ? 'quicktime' : 'mp4' };
  return undefined;
}

/** Text = no NUL bytes and valid UTF-8 in the sniffed head. */
export function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    // A multi-byte character cut at the end of the head is fine; trim up to 3 bytes.
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return true;
  } catch {
    return false;
  }
}

/**
 * Walk a folder and yield the video, image and text files in it. Kind comes
 * from the extension and must agree with the magic bytes; hidden files,
 * unknown types and links that escape `root` are reported as skipped.
 */
export async function* scanMediaFolder(
  root: string,
  report: ImportReportBuilder,
  options: MediaFolderScanOptions = {},
): AsyncGenerator<MediaFileRecord> {
  const realRoot = await realpath(root).catch(() => {
    throw new NotFoundError(`folder not found: ${root}`, { root });
  });
  const start = resolveInside(realRoot, options.subdir ?? '.');
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const followLinks = options.followLinks ?? true;
  const stack = [start];
  const seenDirs = new Set<string>();
  while (stack.length > 0) {
    const dir = stack.pop()!;
    if (seenDirs.has(dir)) continue;
    seenDirs.add(dir);
    const entries: string[] = [];
    for await (const e of await opendir(dir)) entries.push(e.name);
    entries.sort();
    for (const name of entries.reverse()) {
      const abs = join(dir, name);
      const rel = relative(realRoot, abs).split(sep).join('/');
      if (name.startsWith('.')) {
        report.skip(rel, 0, 'hidden entry');
        continue;
      }
      let target = abs;
      let st = await lstat(abs);
      if (st.isSymbolicLink()) {
        if (!followLinks) {
          report.skip(rel, 0, 'symbolic link (not followed)');
          continue;
        }
        try {
          target = resolveInside(realRoot, await realpath(abs));
          st = await lstat(target);
        } catch {
          report.skip(rel, 0, 'symbolic link escapes the root or is dangling');
          continue;
        }
      }
      if (st.isDirectory()) {
        stack.push(target);
        continue;
      }
      if (!st.isFile()) {
        report.skip(rel, 0, 'not a regular file');
        continue;
      }
      const record = await classify(target, rel, st.size, maxBytes, report);
      if (record) {
        report.count(record.kind);
        yield record;
      }
    }
  }
}

async function classify(
  abs: string,
  rel: string,
  bytes: number,
  maxBytes: number,
  report: ImportReportBuilder,
): Promise<MediaFileRecord | undefined> {
  const ext = extname(abs).toLowerCase();
  const byExt = EXTENSION_KIND[ext];
  if (!byExt) {
    report.skip(rel, 0, `unsupported extension "${ext || '(none)'}"`);
    return undefined;
  }
  if (bytes === 0) {
    report.skip(rel, 0, 'empty file');
    return undefined;
  }
  if (bytes > maxBytes) {
    report.skip(rel, 0, `file is ${bytes} bytes, limit ${maxBytes}`);
    return undefined;
  }
  const head = await readHead(abs, 4096);
  const sniffed = sniffMediaFormat(head);
  if (byExt === 'text') {
    if (sniffed || !looksLikeText(head)) {
      report.skip(rel, 0, `extension ${ext} but content is ${sniffed ? sniffed.format : 'binary'}`);
      return undefined;
    }
    return { relPath: rel, absPath: abs, kind: 'text', format: 'text', bytes };
  }
  if (!sniffed || sniffed.kind !== byExt) {
    report.skip(
      rel,
      0,
      `extension ${ext} but content is ${sniffed ? sniffed.format : 'not a known ' + byExt + ' format'}`,
    );
    return undefined;
  }
  return { relPath: rel, absPath: abs, kind: sniffed.kind, format: sniffed.format, bytes };
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
