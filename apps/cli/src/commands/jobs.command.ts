import { Command, CommandRunner, Option } from 'nest-commander';
import { NotFoundError } from '@tessera/common';
import { JobQueue } from '@tessera/jobs';
import { withPlatform } from '../platform/with-platform';

/** Show queued, running and finished jobs, or one job's report. */
@Command({ name: 'jobs', arguments: '[id]', description: 'list jobs with counts per state, or show one job' })
export class JobsCommand extends CommandRunner {
  async run([id]: string[], options: { json?: boolean }): Promise<void> {
    const out = await withPlatform(async (ctx) => {
      const queue = ctx.get(JobQueue);
      if (id) {
        const job = await queue.get(id);
        if (!job) throw new NotFoundError(`job ${id} not found`);
        return job;
      }
      return { counts: await queue.counts(), jobs: await queue.list({ limit: 20 }) };
    });
    if (options.json || id) {
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const { counts, jobs } = out as {
      counts: Record<string, number>;
      jobs: { id: string; name: string; state: string; progress: { done: number; total: number } | null }[];
    };
    const lines = [
      Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ];
    for (const j of jobs)
      lines.push(
        `  ${j.id}  ${j.name.padEnd(16)} ${j.state.padEnd(10)} ${j.progress ? `${j.progress.done}/${j.progress.total}` : ''}`,
      );
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}
