import { Rng } from '@tessera/common';
import type { ColdStartDataset, Interaction, ItemContent } from '../data';

/**
 * Spec §9.5: items in `clusters` latent clusters whose content is a noisy one-hot of the cluster
 * (the cluster word plus random noise words); each user likes `likedPerUser` clusters and interacts
 * with a share of their items. The best possible cold-item ranking is known by construction.
 */
export function syntheticClusterDataset(opts: {
  seed: number;
  clusters?: number;
  itemsPerCluster?: number;
  users?: number;
  likedPerUser?: number;
  interactRate?: number;
  noiseWords?: number;
}): { dataset: ColdStartDataset; likedBy: Map<number, Set<number>>; clusterOf: Map<number, number> } {
  const {
    seed,
    clusters = 8,
    itemsPerCluster = 40,
    users = 64,
    likedPerUser = 2,
    interactRate = 0.8,
    noiseWords = 2,
  } = opts;
  const rng = new Rng(seed);
  const contents = new Map<number, ItemContent>();
  const clusterOf = new Map<number, number>();
  const itemIds: number[] = [];
  for (let c = 0; c < clusters; c++) {
    for (let k = 0; k < itemsPerCluster; k++) {
      const id = 1000 + c * itemsPerCluster + k;
      const words = [`cluster${c}`];
      for (let n = 0; n < noiseWords; n++) words.splice(rng.int(words.length + 1), 0, `noise${rng.int(40)}`);
      contents.set(id, { itemId: id, fields: { text: words.join(' ') } });
      clusterOf.set(id, c);
      itemIds.push(id);
    }
  }
  const likedBy = new Map<number, Set<number>>();
  const interactions: Interaction[] = [];
  for (let u = 1; u <= users; u++) {
    const liked = new Set<number>();
    while (liked.size < likedPerUser) liked.add(rng.int(clusters));
    likedBy.set(u, liked);
    for (const id of itemIds)
      if (liked.has(clusterOf.get(id)!) && rng.next() < interactRate) interactions.push({ userId: u, itemId: id });
  }
  return {
    dataset: { name: 'synthetic-clusters', interactions, itemIds, contents, positive: { kind: 'implicit' } },
    likedBy,
    clusterOf,
  };
}
