import { Injectable } from '@nestjs/common';
import {
  Asset,
  AssetRepository,
  Clip,
  ClipRepository,
  Item,
  ItemRepository,
  ItemText,
  TextRepository,
} from '@tessera/db';

export interface ItemDetails {
  item: Item;
  assets: Asset[];
  clips: Clip[];
  texts: ItemText[];
}

/** An item with everything ingestion recorded for it. NotFoundError for an unknown id. */
@Injectable()
export class GetItemUsecase {
  constructor(
    private readonly items: ItemRepository,
    private readonly assets: AssetRepository,
    private readonly clips: ClipRepository,
    private readonly texts: TextRepository,
  ) {}

  async execute(id: string): Promise<ItemDetails> {
    const item = await this.items.getById(id);
    const [assets, clips, texts] = await Promise.all([
      this.assets.listForItem(id),
      this.clips.listForItem(id),
      this.texts.listForItem(id),
    ]);
    return { item, assets, clips, texts };
  }
}
