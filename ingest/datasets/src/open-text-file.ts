import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InvalidInputError, NotFoundError } from '@tessera/common';

/**
 * A read stream of a dataset file that fails with a typed error before any parsing: a missing file is a
 * NotFoundError naming it, a folder an InvalidInputError. (A bare createReadStream().pipe() would emit the
 * ENOENT on a stream nobody listens to and crash the process.)
 */
export async function openTextFile(path: string, encoding: BufferEncoding): Promise<ReadStream> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new NotFoundError(`dataset file ${path} does not exist (${e.code ?? e.message})`, { path }, { cause: e });
  });
  if (!info.isFile()) throw new InvalidInputError(`dataset path ${path} is not a file`, { path });
  return createReadStream(path, { encoding });
}
