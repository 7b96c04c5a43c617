import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError } from '@tessera/common';
import { SearchVideoUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

/** `tessera search video "<query>"`: ranked clips with their times and captions. */
@Command({
  name: 'search',
  arguments: '<what> <query>',
  description: 'search video segments by text: search video "<query>"',
})
export class SearchCommand extends CommandRunner {
  async run([what, query]: string[], options: { limit?: number; json?: boolean }): Promise<void> {
    if (what !== 'video') throw new InvalidInputError(`unknown search "${what}"; known: video`);
    const page = await withPlatform((ctx) =>
      ctx.get(SearchVideoUsecase).clipsForText(query, { limit: options.limit ?? 5 }),
    );
    if (options.json) {
      process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
      return;
    }
    const lines = page.hits.map(
      (h, i) =>
        `${i + 1}. ${h.score.toFixed(3)}  ${h.title ?? h.itemId}  ${h.start.toFixed(1)}–${h.end.toFixed(1)} s  ${h.caption ? `“${h.caption}”` : ''}`,
    );
    process.stdout.write(`${lines.join('\n') || 'no hits'}\n`);
  }

  @Option({ flags: '-n, --limit <n>', description: 'hits to show (default 5)' })
  parseLimit(v: string): number {
    return Number(v);
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}
