import { spawn } from 'node:child_process';
import { UpstreamUnavailableError } from '@tessera/common';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last `stderrTailBytes` of stderr, as text. */
  stderr: string;
  timedOut: boolean;
}

export interface RunProcessOptions {
  timeoutMs: number;
  /** Called with each stdout chunk; return false to stop reading (the process is then killed). */
  onStdout?: (chunk: Buffer) => boolean | void;
  /** Keep this much of stderr (default 64 KiB), so a chatty run cannot fill memory. */
  stderrTailBytes?: number;
}

/**
 * Runs ffmpeg/ffprobe with a hard timeout. Direct spawn rather than fluent-ffmpeg:
 * raw frames need a byte-exact stdout stream and every call needs the same kill-on-timeout.
 */
export function runProcess(bin: string, args: string[], o: RunProcessOptions): Promise<ProcessResult> {
  const tailBytes = o.stderrTailBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(new UpstreamUnavailableError(`cannot start ${bin}: ${(e as Error).message}`, { bin }, { cause: e }));
      return;
    }
    let stderr = Buffer.alloc(0);
    let timedOut = false;
    let stoppedEarly = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stoppedEarly) return;
      if (o.onStdout && o.onStdout(chunk) === false) {
        stoppedEarly = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > tailBytes * 2) stderr = stderr.subarray(stderr.length - tailBytes);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' ? `${bin} not found (install ffmpeg or set its path)` : e.message;
      reject(new UpstreamUnavailableError(`cannot run ${bin}: ${why}`, { bin }, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = stderr.subarray(Math.max(0, stderr.length - tailBytes)).toString('utf8');
      // A deliberate early stop is a success for the caller.
      resolve({ code: stoppedEarly ? 0 : code, signal, stderr: text, timedOut });
    });
  });
}

/** The last few non-empty lines of stderr, for error messages. */
export function stderrTail(stderr: string, lines = 4): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');
}
