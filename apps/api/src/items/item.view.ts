import type { ItemDetails } from '../../../platform/src';

const assetUrl = (id: string | null | undefined) => (id ? `/assets/${id}/content` : null);

/** The HTTP shape of an item: storage paths stay private, assets get URLs. */
export function toItemView(d: ItemDetails) {
  return {
    ...d.item,
    thumbnailUrl: assetUrl(d.item.metadata.thumbnailAssetId as string | undefined),
    assets: d.assets.map((a) => ({
      id: a.id,
      contentHash: a.contentHash,
      mediaType: a.mediaType,
      bytes: a.bytes,
      role:
        a.id === d.item.metadata.originalAssetId
          ? 'original'
          : a.id === d.item.metadata.subtitleAssetId
            ? 'subtitles'
            : 'derived',
      url: assetUrl(a.id),
    })),
    clips: d.clips.map((c) => ({
      id: c.id,
      start: c.startS,
      end: c.endS,
      caption: c.caption,
      thumbnailUrl: assetUrl(c.thumbnailAssetId),
    })),
    texts: d.texts.map((t) => ({ field: t.field, language: t.language, text: t.text })),
  };
}
