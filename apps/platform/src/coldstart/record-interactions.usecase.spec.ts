import { InvalidInputError, NotFoundError } from '@tessera/common';
import type { Interaction, InteractionRepository, ItemRepository, UserRepository } from '@tessera/db';
import { describe, expect, it } from 'vitest';
import { coldStartCollection, versionOfCollection } from './coldstart-jobs';
import { RecordInteractionsUsecase } from './record-interactions.usecase';

/** Just the repository methods the use case calls, over plain maps. */
function fakes() {
  const items = new Set(['item_a', 'item_b']);
  const users = new Map<string, string>([['user_known', 'user_known']]);
  const stored: Interaction[] = [];
  const itemRepo = {
    getById: async (id: string) => {
      if (!items.has(id)) throw new NotFoundError(`item ${id} not found`);
      return { id };
    },
  } as unknown as ItemRepository;
  const userRepo = {
    getById: async (id: string) => {
      if (![...users.values()].includes(id)) throw new NotFoundError(`user ${id} not found`);
      return { id };
    },
    upsert: async (u: { source: string; externalId: string }) => {
      const key = `${u.source}:${u.externalId}`;
      const created = !users.has(key);
      if (created) users.set(key, `user_${users.size}`);
      return { user: { id: users.get(key)! }, created };
    },
  } as unknown as UserRepository;
  const interactionRepo = {
    add: async (x: Interaction) => {
      if (stored.some((s) => s.userId === x.userId && s.itemId === x.itemId && s.ts === x.ts)) return false;
      stored.push(x);
      return true;
    },
  } as unknown as InteractionRepository;
  return { usecase: new RecordInteractionsUsecase(userRepo, itemRepo, interactionRepo), stored };
}

describe('RecordInteractionsUsecase', () => {
  it('records feedback, creates external users once, counts duplicates and reports bad entries', async () => {
    const { usecase, stored } = fakes();
    const r = await usecase.execute([
      { externalUserId: 'alice', itemId: 'item_a', ts: 5 },
      { externalUserId: 'alice', itemId: 'item_b', value: 4, ts: 6 },
      { userId: 'user_known', itemId: 'item_a', ts: 5 },
      { externalUserId: 'alice', itemId: 'item_a', ts: 5 },
      { externalUserId: 'bob', itemId: 'item_zzz' },
      { itemId: 'item_a' },
      { externalUserId: 'bob', itemId: 'item_a', value: Number.NaN },
    ]);
    expect(r.recorded).toBe(3);
    expect(r.duplicates).toBe(1);
    expect(r.errors.map((e) => [e.index, e.code])).toEqual([
      [4, 'not_found'],
      [5, 'invalid_input'],
      [6, 'invalid_input'],
    ]);
    expect(r.userIds[0]).toBe(r.userIds[1]);
    expect(r.userIds[2]).toBe('user_known');
    expect(stored.map((x) => x.value)).toEqual([1, 4, 1]);
    await expect(usecase.execute([])).rejects.toThrow(InvalidInputError);
  });

  it('collection names carry their model version', () => {
    expect(versionOfCollection(coldStartCollection('v1.2_x', 1234))).toBe('v1.2_x');
    expect(versionOfCollection('clips_vttwins')).toBeUndefined();
  });
});
