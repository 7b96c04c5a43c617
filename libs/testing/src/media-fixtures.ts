import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes a real two-second MP4 (ffmpeg's test pattern) cut to its first `fraction` of bytes:
 * the container signature is right, the index (moov atom) is missing.
 */
export function writeTruncatedMp4(path: string, fraction = 0.5): void {
  const whole = `${path}.whole.mp4`;
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=2:size=64x64:rate=10',
    '-pix_fmt',
    'yuv420p',
    whole,
  ]);
  const bytes = readFileSync(whole);
  rmSync(whole);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}
