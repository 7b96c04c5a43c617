import type { Item } from '@tessera/db';
import type { ColdStartModel, ItemTokens } from '@tessera/models/coldstart';
import type { CatalogueMediaReader } from './catalogue-media.reader';

/** A catalogue item as the served model reads it: its text fields plus image/video tokens when the model has them. */
export async function catalogueItemTokens(
  item: Item,
  fields: Record<string, string>,
  model: ColdStartModel,
  media: CatalogueMediaReader,
): Promise<{ tokens: ItemTokens; withMedia: boolean }> {
  const text = model.tokenize({ itemId: 0, fields });
  const m = await media.tokensFor(item, model.media);
  return {
    tokens: { modalities: { ...text.modalities, ...m.modalities } },
    withMedia: Object.keys(m.modalities).length > 0,
  };
}
