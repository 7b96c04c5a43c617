import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { Dense, LayerNorm, normalInit, ParamStore } from '@tessera/tensor';
import type { ItemContent } from '../data';
import {
  ColdStartItemEncoder,
  type ItemEncoderConfig,
  type ItemTokens,
  ItemContentTokenizer,
  type MediaPatchTokenizer,
} from '../encoder';
import type { SparseVector } from '../baselines';
import { LexicalChannel, type LexicalTokenWeights, meanSparse, sparseScores } from './lexical-channel';

export const USER_TABLE = 'users.emb';

/**
 * Where warm-user vectors come from. `free`: one learned embedding per user. `history`: a tower over the
 * content of the user's training positives (mean raw token embedding of their items → LayerNorm → dense),
 * trained with the encoder; after training its outputs are written into the user table, so serving reads
 * user vectors the same way for both.
 */
export type UserTower = 'free' | 'history';

/** The encoder's architecture plus the user side of the model. */
export type ColdStartModelConfig = ItemEncoderConfig & {
  userTower?: UserTower;
  /** Adds the learned sparse score over id tokens beside the dense one (see LexicalChannel). */
  lexical?: boolean;
  /** Whether the lexical channel learns its per-token weights or keeps them at idf (default `learned`). */
  lexicalWeights?: LexicalTokenWeights;
  /** Tokens in fewer items than this get weight 0 in the lexical channel (default 1: every token counts). */
  lexicalMinDf?: number;
};

/** One batch's user histories, flattened: pair k says item `items[pairItem[k]]` is in the history of user `pairUser[k]`. */
export interface UserHistories {
  items: readonly ItemTokens[];
  pairUser: Int32Array;
  pairItem: Int32Array;
  users: number;
}

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
  readonly userTower: UserTower;
  /** The sparse channel, when the model has one; its parameters live in `store` beside the encoder's. */
  readonly lexical?: LexicalChannel;
  /** Each warm user's lexical profile by table row (filled by `materializeProfiles`). */
  private profiles: (SparseVector | undefined)[] = [];
  private readonly historyNorm?: LayerNorm;
  private readonly historyProj?: Dense;
  private readonly userRow = new Map<number, number>();

  constructor(
    encoderConfig: ColdStartModelConfig,
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
    this.userTower = encoderConfig.userTower ?? 'free';
    if (this.userTower === 'history') {
      const d = this.encoder.dim;
      this.historyNorm = new LayerNorm(this.store, 'user.hist.ln', d);
      // Small like the free table's rows, so first scores sit near zero and the softmax starts near uniform.
      this.historyProj = new Dense(this.store, 'user.hist.proj', d, this.encoder.dim, new Rng(seed ^ 0x4157), {
        initScale: 0.1,
      });
    }
    if (encoderConfig.lexical)
      this.lexical = new LexicalChannel(
        this.store,
        this.encoder.config.modalities,
        encoderConfig.lexicalWeights,
        encoderConfig.lexicalMinDf,
      );
  }

  /**
   * History-tower user vectors [users, dim] from flattened histories (call inside tf.tidy). Each distinct item
   * is summarised once; a user without history items gets the tower's output for an empty mean.
   */
  historyVectors(h: UserHistories): tf.Tensor2D {
    if (!this.historyNorm || !this.historyProj) throw new InvalidInputError('this model has no history user tower');
    const d = this.encoder.dim;
    const counts = new Float32Array(h.users);
    for (const u of h.pairUser) counts[u]++;
    const summed =
      h.items.length > 0
        ? tf.unsortedSegmentSum(
            tf.gather(this.encoder.tokenMean(h.items), tf.tensor1d(h.pairItem, 'int32')),
            tf.tensor1d(h.pairUser, 'int32'),
            h.users,
          )
        : tf.zeros([h.users, d]);
    const mean = tf.div(summed, tf.reshape(tf.maximum(tf.tensor1d(counts), 1), [h.users, 1]));
    return this.historyProj.apply(this.historyNorm.apply(mean)) as tf.Tensor2D;
  }

  /** The history tower's vector of a user the table does not hold, from the items they liked (plain array). */
  async userVectorFromHistory(items: readonly ItemTokens[]): Promise<Float32Array> {
    const v = tf.tidy(() =>
      this.historyVectors({
        items,
        pairUser: new Int32Array(items.length),
        pairItem: Int32Array.from(items.keys()),
        users: 1,
      }),
    );
    try {
      return Float32Array.from((await v.data()) as Float32Array);
    } finally {
      v.dispose();
    }
  }

  /**
   * Writes the history tower's vectors of every warm user into the user table (`historyOf` gives a user's
   * training positives as tokens), so scoring and serving read them like free embeddings.
   */
  materializeUsers(historyOf: (userId: number) => readonly ItemTokens[], chunk = 256): void {
    if (this.userTower !== 'history') return;
    const rows: tf.Tensor[] = [];
    try {
      for (let s = 0; s < this.userIds.length; s += chunk) {
        const part = this.userIds.slice(s, s + chunk);
        const items: ItemTokens[] = [];
        const pairUser: number[] = [];
        part.forEach((u, r) =>
          historyOf(u).forEach((it) => {
            pairUser.push(r);
            items.push(it);
          }),
        );
        rows.push(
          tf.tidy(() =>
            this.historyVectors({
              items,
              pairUser: Int32Array.from(pairUser),
              pairItem: Int32Array.from(items.keys()),
              users: part.length,
            }),
          ),
        );
      }
      tf.tidy(() => this.userTable.assign(tf.concat(rows, 0)));
    } finally {
      tf.dispose(rows);
    }
  }

  /**
   * Computes every warm user's lexical profile, the mean sparse vector of their history items (`historyOf`
   * gives a user's training positives as tokens). A no-op without a lexical channel.
   */
  async materializeProfiles(historyOf: (userId: number) => readonly ItemTokens[]): Promise<void> {
    const lexical = this.lexical;
    if (!lexical) return;
    const vectorOf = await lexical.vectorizer();
    // Users share items: each distinct token object is vectorised once.
    const cache = new Map<ItemTokens, SparseVector>();
    const cached = (it: ItemTokens) => cache.get(it) ?? cache.set(it, vectorOf(it)).get(it)!;
    this.profiles = this.userIds.map((u) => {
      const items = historyOf(u);
      return items.length > 0 ? meanSparse(items.map(cached)) : undefined;
    });
  }

  /** A warm user's lexical profile (undefined for unknown users, users without history, or no channel). */
  profileOf(userId: number): SparseVector | undefined {
    const row = this.userRow.get(userId);
    return row === undefined ? undefined : this.profiles[row];
  }

  /** The profiles by table row, for saving beside the user table. */
  get userProfiles(): readonly (SparseVector | undefined)[] {
    return this.profiles;
  }

  /** Puts saved profiles back (one per user row). */
  setProfiles(profiles: (SparseVector | undefined)[]): void {
    if (profiles.length !== this.userIds.length)
      throw new InvalidInputError(`expected ${this.userIds.length} user profiles, got ${profiles.length}`);
    this.profiles = profiles;
  }

  /** The items' lexical vectors, or undefined when the model has no lexical channel. */
  async lexicalVectors(items: readonly ItemTokens[]): Promise<SparseVector[] | undefined> {
    return this.lexical?.itemVectors(items);
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
   * Row-major users × items scores s(u, i) = <z_u, z_i> (+ γ·<p_u, v_i> with the items' lexical vectors, when the
   * model has the channel). Users the model never saw score 0 everywhere (they have no embedding; a cold user
   * is another recommender's job).
   */
  async scoreUsers(
    userIds: readonly number[],
    itemEmbeddings: readonly Float32Array[],
    itemLexical?: readonly SparseVector[],
  ): Promise<Float32Array> {
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
    if (this.lexical && itemLexical) {
      const gamma = await this.lexical.scale();
      const lex = sparseScores(
        userIds.map((u) => this.profileOf(u)),
        itemLexical,
      );
      for (let k = 0; k < out.length; k++) out[k] += gamma * lex[k];
    }
    return out;
  }

  dispose(): void {
    this.store.dispose();
    this.userStore.dispose();
  }
}
