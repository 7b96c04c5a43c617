import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { Dense } from './dense';
import { gelu } from './gelu';
import type { RngOrSeed } from './initializers';
import type { ParamStore } from './param-store';

/** Position-wise feed-forward: Dense(d -> dFF), GELU, Dense(dFF -> d). */
export class FeedForward {
  readonly up: Dense;
  readonly down: Dense;

  constructor(
    store: ParamStore,
    readonly name: string,
    dModel: number,
    dFF: number,
    rng: RngOrSeed,
  ) {
    const r = typeof rng === 'number' ? new Rng(rng) : rng;
    this.up = new Dense(store, `${name}.up`, dModel, dFF, r);
    this.down = new Dense(store, `${name}.down`, dFF, dModel, r);
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.down.apply(gelu(this.up.apply(x))));
  }
}
