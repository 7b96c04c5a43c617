/** Per-call switches shared by every layer. */
export interface ForwardOptions {
  /** Dropout is active only when training. */
  training?: boolean;
  /** Base seed for this step's dropout masks; each layer derives its own from it. */
  seed?: number;
}

/** A distinct, repeatable seed for one dropout site within a step. */
export function dropoutSeed(seed: number | undefined, salt: number): number | undefined {
  if (seed === undefined) return undefined;
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(salt + 1, 0xc2b2ae35)) >>> 0;
}

/** Stable small integer from a parameter name, to salt dropout seeds per layer. */
export function saltOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}
