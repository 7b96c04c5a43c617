import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptDataError, InvalidInputError, NotFoundError, PayloadTooLargeError, sha256 } from '@tessera/common';
import { FileBlobStore } from './file-blob-store.repository';

describe('FileBlobStore', () => {
  let dir: string;
  let store: FileBlobStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-blobs-'));
    store = new FileBlobStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores bytes under blobs/ab/cd/<sha256> and re-storing is a no-op', async () => {
    const bytes = Buffer.from('hello tessera');
    const hash = sha256(bytes);
    const first = await store.put(bytes);
    expect(first).toMatchObject({
      hash,
      bytes: bytes.length,
      existed: false,
      path: `blobs/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`,
    });
    expect(readFileSync(join(dir, first.path)).equals(bytes)).toBe(true);
    const second = await store.put(Readable.from([Buffer.from('hello '), Buffer.from('tessera')]));
    expect(second).toMatchObject({ hash, existed: true });
    expect(await store.has(hash)).toBe(true);
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('stores from a file path and streams it back', async () => {
    const src = join(dir, 'in.bin');
    const data = Buffer.alloc(300_000, 7);
    writeFileSync(src, data);
    const stored = await store.put({ path: src });
    expect(stored.hash).toBe(sha256(data));
    const chunks: Buffer[] = [];
    for await (const c of await store.open(stored.hash)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    await expect(store.verify(stored.hash)).resolves.toBeUndefined();
  });

  it('refuses oversize streams without leaving a partial file', async () => {
    const big = Readable.from([Buffer.alloc(1000), Buffer.alloc(1000)]);
    await expect(store.put(big, { maxBytes: 1500 })).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'blobs')).filter((d) => d !== 'tmp')).toEqual([]);
  });

  it('reports missing, malformed and corrupted blobs with typed errors', async () => {
    await expect(store.open('0'.repeat(64))).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.has('../../etc/passwd')).rejects.toBeInstanceOf(InvalidInputError);
    const stored = await store.put(Buffer.from('abc'));
    writeFileSync(stored.absolutePath, 'abd');
    await expect(store.verify(stored.hash)).rejects.toBeInstanceOf(CorruptDataError);
  });
});
