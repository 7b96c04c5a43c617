import { InvalidInputError } from '@tessera/common';

/**
 * Qdrant accepts only UUIDs and unsigned integers as point ids. Catalogue ids are a prefix plus
 * 32 hex digits, so the hex part is written as a UUID; the payload keeps the catalogue id too.
 */
export function pointIdFor(catalogueId: string): string {
  const hex = /^[a-z]+_([0-9a-f]{32})$/.exec(catalogueId)?.[1];
  if (!hex) throw new InvalidInputError(`not a catalogue id: ${catalogueId}`, { id: catalogueId });
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
