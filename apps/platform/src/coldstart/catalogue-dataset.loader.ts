import { Injectable } from '@nestjs/common';
import { InvalidInputError } from '@tessera/common';
import { InteractionRepository, Item, ItemRepository, TextRepository, UserRepository } from '@tessera/db';
import type { ColdStartDataset, Interaction, ItemContent, PositiveRule } from '@tessera/models/coldstart';
import { CONTENT_FIELDS } from './catalogue-content';

/** The numeric ids models use, with the catalogue ids they stand for (saved beside each model). */
export interface CatalogueIdMap {
  items: string[];
  users: string[];
}

export interface CatalogueDataset {
  dataset: ColdStartDataset;
  ids: CatalogueIdMap;
  /** Item metadata kept for vector payloads. */
  items: Item[];
}

/** Explicit-rating sources use rating ≥ 4 (Jester ≥ 3.5) as positive; others are implicit feedback. */
const POSITIVE_RULES: Record<string, PositiveRule> = {
  movielens: { kind: 'threshold', min: 4 },
  'ml-100k': { kind: 'threshold', min: 4 },
  jester: { kind: 'threshold', min: 3.5 },
};

export function positiveRuleFor(source: string): PositiveRule {
  return POSITIVE_RULES[source] ?? { kind: 'implicit' };
}

/** Reads items, their texts and their interactions from the catalogue into the cold-start protocol's shapes. */
@Injectable()
export class CatalogueDatasetLoader {
  constructor(
    private readonly items: ItemRepository,
    private readonly texts: TextRepository,
    private readonly users: UserRepository,
    private readonly interactions: InteractionRepository,
  ) {}

  /** Items of one source (or every item when `source` is undefined), each with its content fields. */
  async loadItems(source?: string): Promise<{ items: Item[]; contents: Map<string, Record<string, string>> }> {
    const items: Item[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.items.list({ source, limit: 1000, offset });
      items.push(...page);
      if (page.length < 1000) break;
    }
    const contents = new Map<string, Record<string, string>>();
    for (const item of items) contents.set(item.id, await this.contentOf(item));
    return { items, contents };
  }

  async contentOf(item: Item): Promise<Record<string, string>> {
    const fields: Record<string, string> = {};
    if (item.title) fields.title = item.title;
    for (const t of await this.texts.listForItem(item.id)) {
      if (!CONTENT_FIELDS.has(t.field)) continue;
      fields[t.field] = fields[t.field] && t.field !== 'title' ? `${fields[t.field]}\n${t.text}` : t.text;
    }
    return fields;
  }

  async load(source: string): Promise<CatalogueDataset> {
    const { items, contents } = await this.loadItems(source);
    if (items.length === 0)
      throw new InvalidInputError(`the catalogue has no items from "${source}"; import a dataset first`, { source });
    const itemIndex = new Map(items.map((it, i) => [it.id, i]));
    const userIndex = new Map<string, number>();
    const interactions: Interaction[] = [];
    for await (const batch of this.interactions.iterate({ batchSize: 20_000 })) {
      for (const x of batch) {
        const itemId = itemIndex.get(x.itemId);
        if (itemId === undefined) continue;
        let userId = userIndex.get(x.userId);
        if (userId === undefined) userIndex.set(x.userId, (userId = userIndex.size));
        interactions.push({ userId, itemId, rating: x.value, ts: x.ts });
      }
    }
    if (interactions.length === 0)
      throw new InvalidInputError(`items from "${source}" have no interactions to learn from`, { source });
    const contentMap = new Map<number, ItemContent>(
      items.map((it, i) => [i, { itemId: i, fields: contents.get(it.id)! }]),
    );
    return {
      dataset: {
        name: source,
        interactions,
        itemIds: items.map((_, i) => i),
        contents: contentMap,
        positive: positiveRuleFor(source),
      },
      ids: { items: items.map((it) => it.id), users: [...userIndex.keys()] },
      items,
    };
  }

  /** Catalogue ids of the items a user interacted with (to exclude from their recommendations). */
  async seenBy(userId: string): Promise<{ itemId: string; value: number }[]> {
    await this.users.getById(userId);
    return (await this.interactions.listForUser(userId, { limit: 100_000 })).map((x) => ({
      itemId: x.itemId,
      value: x.value,
    }));
  }
}
