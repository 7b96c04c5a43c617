import type { ModalityGroup } from '@tessera/models/coldstart';

/** Text fields the catalogue records, grouped into the encoder's modalities (genres as input tokens, never targets). */
export const CATALOGUE_MODALITIES: ModalityGroup[] = [
  { name: 'text', fields: ['title', 'overview', 'tagline', 'body', 'tags', 'subtitles'], maxLength: 64 },
  { name: 'genres', fields: ['genres'], maxLength: 8, buckets: 256 },
];

/** Which catalogue text fields feed the encoder. */
export const CONTENT_FIELDS = new Set(CATALOGUE_MODALITIES.flatMap((m) => m.fields));
