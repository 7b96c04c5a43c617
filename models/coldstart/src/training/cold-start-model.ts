import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { normalInit, ParamStore } from '@tessera/tensor';
import type { ItemContent } from '../data';
import {
  ColdStartItemEncoder,
  type ItemEncoderConfig,
  type ItemTokens,
  ItemContentTokenizer,
  type MediaPatchTokenizer,
} from '../encoder';

export const USER_TABLE = 'users.emb';

/**
 * A trained (or training) cold-start model: the item encoder, the free embeddings of the warm users
 * it was trained with, and the content tokenizer that turns dataset content into encoder tokens
 * (plus, optionally, the media tokenizer for image patches and video frames).
 * Encoder variables (`enc.*`) and the user table (`users.emb`) live in two ParamStores, because they
 * have separate optimisers and each checkpoint carries one optimiser's state.
 */
export class ColdStartModel {
  readonly store: ParamStore;
  readonly userStore: ParamStore;
  readonly encoder: ColdStartItemEncoder;
  readonly userTable: tf.Variable;
  private readonly userRow = new Map<number, number>();

  constructor(
    encoderConfig: ItemEncoderConfig,
    readonly userIds: readonly number[],
    readonly tokenizer?: ItemContentTokenizer,
    /** Cuts images and video frames into the encoder's dense tokens, when the model has those modalities. */
    readonly media?: MediaPatchTokenizer,
  ) {
    if (userIds.length === 0) throw new InvalidInputError('a cold-start model needs at least one warm user');
    this.store = new ParamStore();
    this.encoder = new ColdStartItemEncoder(encoderConfig, this.store, 'enc');
    userIds.forEach((u, i) => {
      if (this.userRow.has(u)) throw new InvalidInputError(`duplicate user id ${u}`);
      this.userRow.set(u, i);
    });
    // Users start small so early scores are near zero and the softmax starts near uniform.
    const seed = (encoderConfig.seed ?? 1) ^ 0x75736572;
    this.userStore = new ParamStore();
    this.userTable = this.userStore.add(USER_TABLE, normalInit([userIds.length, this.encoder.dim], new Rng(seed), 0.1));
  }

  get dim(): number {
    return this.encoder.dim;
  }

  /** Row of a warm user in the user table, or undefined for users the model never saw. */
  rowOf(userId: number): number | undefined {
    return this.userRow.get(userId);
  }

  /** Encoder tokens of dataset content (needs the tokenizer the model was built with). */
  tokenize(content: ItemContent): ItemTokens {
    if (!this.tokenizer) throw new InvalidInputError('this model has no content tokenizer; pass ItemTokens instead');
    return this.tokenizer.tokenize(content);
  }

  /** Item embeddings for serving (plain arrays; no tensors survive; awaited reads, any backend). */
  encodeItems(items: readonly ItemTokens[], batchSize = 256): Promise<Float32Array[]> {
    return this.encoder.encodeItems(items, batchSize);
  }

  /** Warm-user embeddings as plain arrays; an unknown user gets undefined. */
  async userEmbedding(userId: number): Promise<Float32Array | undefined> {
    const row = this.userRow.get(userId);
    if (row === undefined) return undefined;
    const t = tf.tidy(() => tf.slice(this.userTable, [row, 0], [1, this.dim]));
    try {
      return Float32Array.from((await t.data()) as Float32Array);
    } finally {
      t.dispose();
    }
  }

  /**
   * Row-major users × items scores s(u, i) = <z_u, z_i>. Users the model never saw score 0 everywhere
   * (they have no embedding; a cold user is another recommender's job).
   */
  async scoreUsers(userIds: readonly number[], itemEmbeddings: readonly Float32Array[]): Promise<Float32Array> {
    const d = this.dim;
    const nI = itemEmbeddings.length;
    const out = new Float32Array(userIds.length * nI);
    if (nI === 0 || userIds.length === 0) return out;
    const known: number[] = [];
    const rows: number[] = [];
    userIds.forEach((u, k) => {
      const r = this.userRow.get(u);
      if (r !== undefined) {
        known.push(k);
        rows.push(r);
      }
    });
    if (rows.length === 0) return out;
    const z = new Float32Array(nI * d);
    itemEmbeddings.forEach((e, i) => z.set(e, i * d));
    const s = tf.tidy(() =>
      tf.matMul(tf.gather(this.userTable, tf.tensor1d(rows, 'int32')), tf.tensor2d(z, [nI, d]), false, true),
    );
    let values: Float32Array;
    try {
      values = (await s.data()) as Float32Array;
    } finally {
      s.dispose();
    }
    known.forEach((k, r) => out.set(values.subarray(r * nI, (r + 1) * nI), k * nI));
    return out;
  }

  dispose(): void {
    this.store.dispose();
    this.userStore.dispose();
  }
}
