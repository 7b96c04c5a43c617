import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open as openFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import {
  CorruptDataError,
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  newId,
  resolveInside,
  sha256File,
} from '@tessera/common';
import { BlobSource, BlobStore, PutBlobOptions, StoredBlob } from './blob-store.port';

const HASH_RE = /^[0-9a-f]{64}$/;

function checkHash(hash: string): string {
  if (typeof hash !== 'string' || !HASH_RE.test(hash))
    throw new InvalidInputError('blob hash must be a lowercase sha256 hex digest', { hash });
  return hash;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Blobs under `<dataDir>/blobs/ab/cd/<hash>`. Bytes are written to a temporary
 * file in `<dataDir>/blobs/tmp`, fsynced, then renamed into place, so a crash
 * leaves either the whole blob or none (plus a stray temp file).
 */
export class FileBlobStore extends BlobStore {
  constructor(private readonly dataDir: string) {
    super();
  }

  relativePath(hash: string): string {
    checkHash(hash);
    return `blobs/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`;
  }

  private absolute(hash: string): string {
    return resolveInside(this.dataDir, this.relativePath(hash));
  }

  async has(hash: string): Promise<boolean> {
    return exists(this.absolute(hash));
  }

  async locate(hash: string): Promise<string> {
    const p = this.absolute(hash);
    if (!(await exists(p))) throw new NotFoundError(`blob ${hash} not found`, { hash });
    return p;
  }

  async open(hash: string): Promise<Readable> {
    return createReadStream(await this.locate(hash));
  }

  async verify(hash: string): Promise<void> {
    const actual = await sha256File(await this.locate(hash));
    if (actual !== hash)
      throw new CorruptDataError(`blob ${hash} is corrupt: its bytes hash to ${actual}`, { hash, actual });
  }

  async put(source: BlobSource, options: PutBlobOptions = {}): Promise<StoredBlob> {
    if (source instanceof Uint8Array) {
      if (options.maxBytes !== undefined && source.byteLength > options.maxBytes) {
        throw new PayloadTooLargeError(`blob is ${source.byteLength} bytes, over the ${options.maxBytes}-byte limit`, {
          bytes: source.byteLength,
        });
      }
      const hash = createHash('sha256').update(source).digest('hex');
      // Known content: nothing to write.
      if (await this.has(hash)) return this.describe(hash, source.byteLength, true);
      return this.writeChunks([source], options);
    }
    if (typeof (source as { path?: unknown }).path === 'string' && !(Symbol.asyncIterator in (source as object))) {
      const path = (source as { path: string }).path;
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile()) throw new NotFoundError(`file to store not found: ${path}`, { path });
      return this.writeChunks(createReadStream(path), options);
    }
    return this.writeChunks(source as AsyncIterable<Uint8Array>, options);
  }

  private describe(hash: string, bytes: number, existed: boolean): StoredBlob {
    return { hash, bytes, path: this.relativePath(hash), absolutePath: this.absolute(hash), existed };
  }

  private async writeChunks(
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    options: PutBlobOptions,
  ): Promise<StoredBlob> {
    const tmpDir = resolveInside(this.dataDir, 'blobs/tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = resolveInside(tmpDir, `${newId('part')}.part`);
    const hasher = createHash('sha256');
    let bytes = 0;
    const out = createWriteStream(tmp, { flags: 'wx' });
    try {
      await new Promise<void>((resolveOpen, rejectOpen) => {
        out.once('open', () => resolveOpen());
        out.once('error', rejectOpen);
      });
      for await (const chunk of chunks) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytes += buf.byteLength;
        if (options.maxBytes !== undefined && bytes > options.maxBytes) {
          throw new PayloadTooLargeError(`blob exceeds the ${options.maxBytes}-byte limit`, {
            maxBytes: options.maxBytes,
          });
        }
        hasher.update(buf);
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((resolveEnd, rejectEnd) => {
        out.once('error', rejectEnd);
        out.end(() => resolveEnd());
      });
      const fh = await openFile(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const hash = hasher.digest('hex');
      const final = this.absolute(hash);
      if (await exists(final)) {
        await unlink(tmp);
        return this.describe(hash, bytes, true);
      }
      await mkdir(dirname(final), { recursive: true });
      await rename(tmp, final);
      return this.describe(hash, bytes, false);
    } catch (e) {
      out.destroy();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}
