import { SingleBar, Presets } from 'cli-progress';

/** Progress reporting for long work; the CLI draws a bar, jobs store the numbers. */
export interface ProgressReporter {
  start(total: number, label?: string): void;
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export const silentProgress: ProgressReporter = { start() {}, update() {}, stop() {} };

/** A progress bar on stderr; also prints (less often) when stderr is not a TTY, e.g. in CI logs. */
export function progressBar(label: string): ProgressReporter {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} {info}`,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { info: '' }),
    update: (done, info) =>
      bar.update(done, {
        info: info
          ? Object.entries(info)
              .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
              .join(' ')
          : '',
      }),
    stop: () => bar.stop(),
  };
}
