import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomically } from './atomic-folder';

describe('writeFileAtomically', () => {
  it('creates and replaces a file, leaving no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-file-'));
    const target = join(dir, 'card.json');
    await writeFileAtomically(target, '{"a":1}');
    await writeFileAtomically(target, '{"a":2}');
    expect(readFileSync(target, 'utf8')).toBe('{"a":2}');
    expect(readdirSync(dir)).toEqual(['card.json']);
  });

  it('removes its temporary file when the rename fails and leaves what was there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-file-'));
    const target = join(dir, 'card.md');
    mkdirSync(target); // a directory cannot be replaced by a file
    writeFileSync(join(target, 'keep'), 'x');
    await expect(writeFileAtomically(target, 'text')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['card.md']);
    expect(readFileSync(join(target, 'keep'), 'utf8')).toBe('x');
  });
});
