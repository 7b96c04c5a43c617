import { VttwinsTextEncoder } from '../encoders/vttwins-text-encoder';
import { VttwinsVideoEncoder } from '../encoders/vttwins-video-encoder';
import type { SyntheticVideoWorld } from '../synthetic/synthetic-videos';

/** Test-only: a synthetic world small enough for a training step in milliseconds. */
export const TINY_WORLD_OPTIONS = { clipsPerVideo: 4, concepts: 6, topics: 4, fillerWords: 5, frames: 2, maxShift: 1 };

/**
 * Test-only: tiny video and text encoders for a world (text seeded `seed + 1`); `sharedStore` puts both in the
 * video encoder's store, so one checkpoint holds them.
 */
export function tinyVttwinsEncoders(
  world: SyntheticVideoWorld,
  { seed = 1, sharedStore = false }: { seed?: number; sharedStore?: boolean } = {},
): { video: VttwinsVideoEncoder; text: VttwinsTextEncoder } {
  const o = world.options;
  const video = new VttwinsVideoEncoder({
    frames: o.frames,
    height: o.height,
    width: o.width,
    channels: o.channels,
    patch: 4,
    hidden: 16,
    jointDim: 8,
    seed,
  });
  const text = new VttwinsTextEncoder(
    { vocabSize: world.vocabSize, maxWords: o.maxWords, wordDim: 16, hidden: 16, jointDim: 8, seed: seed + 1 },
    sharedStore ? video.weights.store : undefined,
  );
  return { video, text };
}
