import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a folder atomically: files go into a temporary folder beside `target`, each is
 * fsynced, then the folder replaces `target` by rename. A reader sees the old folder or the
 * new one, never a half-written mix. An existing target is moved aside first (a directory
 * cannot be renamed onto a non-empty one) and removed after the swap.
 */
export async function writeFolderAtomically(target: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = randomUUID().slice(0, 8);
  const tmp = join(parent, `.${basename(target)}.tmp-${tag}`);
  await mkdir(tmp);
  try {
    for (const [name, data] of Object.entries(files)) {
      const fh = await open(join(tmp, name), 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await fsyncPath(tmp);
    const old = join(parent, `.${basename(target)}.old-${tag}`);
    const hadTarget = await exists(target);
    if (hadTarget) await rename(target, old);
    await rename(tmp, target);
    await fsyncPath(parent);
    if (hadTarget) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Replaces one file atomically: the data goes to a temporary file in the same folder, is fsynced,
 * then renamed over `target` (and the folder fsynced). A reader or a crash sees the old file or the
 * new one, never a truncated mix; the temporary file is removed when the write fails.
 */
export async function writeFileAtomically(target: string, data: Uint8Array | string): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(target)}.tmp-${randomUUID().slice(0, 8)}`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    await fsyncPath(parent);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
