import { ConflictError, InvalidInputError } from '@tessera/common';
import type { JobContext } from './job.types';

/** A handler of any payload type (handlers are registered by name, their payload type is theirs). */
export type RegisteredJobHandler = (ctx: JobContext<never>) => unknown;

interface Registered {
  handler: RegisteredJobHandler;
  source: string;
}

/** Job name → the one processor that handles it. */
export class JobHandlerRegistry {
  private readonly handlers = new Map<string, Registered>();
  private readonly external = new Set<string>();

  /** ConflictError when the name already has a handler: boot must fail rather than pick one. */
  register(name: string, handler: RegisteredJobHandler, source = 'anonymous'): void {
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._:-]*$/i.test(name)) {
      throw new InvalidInputError(`job name ${JSON.stringify(name)} is not valid (letters, digits, . _ : -)`);
    }
    const existing = this.handlers.get(name);
    if (existing) {
      throw new ConflictError(`job "${name}" has two handlers: ${existing.source} and ${source}`, {
        name,
        handlers: [existing.source, source],
      });
    }
    this.handlers.set(name, { handler, source });
  }

  /** Names processed by another app (e.g. the API enqueues what only the worker runs). */
  declareExternal(...names: string[]): void {
    for (const n of names) this.external.add(n);
  }

  get(name: string): RegisteredJobHandler | undefined {
    return this.handlers.get(name)?.handler;
  }

  /** Handled here. */
  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** Handled here or declared as handled elsewhere: enqueueing it is allowed. */
  accepts(name: string): boolean {
    return this.handlers.has(name) || this.external.has(name);
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  assertAccepts(name: string): void {
    if (!this.accepts(name)) {
      const known = [...new Set([...this.handlers.keys(), ...this.external])].sort();
      throw new InvalidInputError(`no processor handles job "${name}" (known: ${known.join(', ') || 'none'})`, {
        name,
        known,
      });
    }
  }
}
