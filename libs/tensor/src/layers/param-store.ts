import * as tf from '@tensorflow/tfjs';
import { ConflictError, DimensionMismatchError, NotFoundError } from '@tessera/common';

/**
 * Named trainable variables of one model. Layers register theirs under a dotted prefix
 * (`enc.0.attn.wq`); trainers pass `trainable()` to the optimiser and checkpoints save by name.
 */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();

  /** Creates `name` from an initial tensor (which the store takes over and disposes). */
  add(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    if (this.vars.has(name)) {
      initial.dispose();
      throw new ConflictError(`parameter '${name}' already exists`, { name });
    }
    // Variable names are global in TF.js; an id suffix keeps two stores from clashing.
    const v = tf.variable(initial, trainable, `${name}__${nextId()}`);
    initial.dispose();
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new NotFoundError(`no parameter '${name}'`, { name });
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  /** Variables to optimise, in a stable order. */
  trainable(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /** Total number of scalar parameters. */
  size(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Copies values in (shapes must match), e.g. from a checkpoint. */
  assign(values: Record<string, tf.Tensor>): void {
    for (const [name, t] of Object.entries(values)) {
      const v = this.get(name);
      if (!tf.util.arraysEqual(v.shape, t.shape)) {
        throw new DimensionMismatchError(`parameter '${name}' has shape [${v.shape}], got [${t.shape}]`, {
          name,
          expected: v.shape,
          actual: t.shape,
        });
      }
      v.assign(t);
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let counter = 0;
function nextId(): number {
  counter += 1;
  return counter;
}
