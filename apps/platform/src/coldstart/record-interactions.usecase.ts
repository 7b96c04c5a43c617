import { Injectable } from '@nestjs/common';
import { InvalidInputError, isTesseraError } from '@tessera/common';
import { InteractionRepository, ItemRepository, UserRepository } from '@tessera/db';

export interface InteractionInput {
  /** A catalogue user id (`user_…`), or … */
  userId?: string;
  /** … the caller's own user id; the user is created under `userSource` the first time. */
  externalUserId?: string;
  itemId: string;
  /** Rating or implicit weight (default 1). */
  value?: number;
  /** Milliseconds since the epoch (default now). */
  ts?: number;
}

export interface RecordInteractionsResult {
  recorded: number;
  /** Already present (same user, item and time): left as they were. */
  duplicates: number;
  errors: { index: number; code: string; message: string }[];
  /** Catalogue user ids, one per input (null where that input failed). */
  userIds: (string | null)[];
}

/**
 * Feedback from users on catalogue items (views, likes, ratings): what the next training run learns
 * from, and what the "seen" exclusion of recommendations reads. Each input stands alone: a bad one
 * is reported and the rest are recorded.
 */
@Injectable()
export class RecordInteractionsUsecase {
  constructor(
    private readonly users: UserRepository,
    private readonly items: ItemRepository,
    private readonly interactions: InteractionRepository,
  ) {}

  async execute(inputs: InteractionInput[], userSource = 'api'): Promise<RecordInteractionsResult> {
    if (inputs.length === 0) throw new InvalidInputError('give at least one interaction');
    const result: RecordInteractionsResult = { recorded: 0, duplicates: 0, errors: [], userIds: [] };
    const now = Date.now();
    for (const [index, x] of inputs.entries()) {
      try {
        if (!x.userId === !x.externalUserId)
          throw new InvalidInputError('give either userId (a catalogue user) or externalUserId');
        if (x.value !== undefined && !Number.isFinite(x.value))
          throw new InvalidInputError('value must be a finite number');
        if (x.ts !== undefined && !(Number.isInteger(x.ts) && x.ts >= 0))
          throw new InvalidInputError('ts must be milliseconds since the epoch');
        await this.items.getById(x.itemId);
        const userId = x.userId
          ? (await this.users.getById(x.userId)).id
          : (await this.users.upsert({ source: userSource, externalId: x.externalUserId! })).user.id;
        const added = await this.interactions.add({ userId, itemId: x.itemId, value: x.value ?? 1, ts: x.ts ?? now });
        if (added) result.recorded++;
        else result.duplicates++;
        result.userIds.push(userId);
      } catch (e) {
        if (!isTesseraError(e)) throw e;
        result.errors.push({ index, code: e.code, message: e.message });
        result.userIds.push(null);
      }
    }
    return result;
  }
}
