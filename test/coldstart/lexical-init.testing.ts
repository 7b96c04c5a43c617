import { ParamStore } from '@tessera/tensor';
import {
  type ColdStartRecommender,
  type ItemContentMap,
  ItemContentTokenizer,
  LexicalChannel,
  meanSparse,
  type ModalityGroup,
  type SparseVector,
  sparseScores,
  type TrainingSet,
} from '@tessera/models/coldstart';

/**
 * Lab diagnostic: the encoder's lexical channel alone and untrained (idf start weights, the encoder's own tokens
 * and cuts, profiles over the first `history` positives). Shows what the channel's inputs allow before learning.
 */
export class LexicalInitRecommender implements ColdStartRecommender {
  readonly name: string;
  private readonly store = new ParamStore();
  private vectors = new Map<number, SparseVector>();
  private profiles = new Map<number, SparseVector>();

  constructor(
    private readonly modalities: ModalityGroup[],
    private readonly history = 256,
    private readonly minDf = 1,
  ) {
    this.name = minDf > 1 ? `lexical-init-mindf${minDf}` : 'lexical-init';
  }

  async fit(train: TrainingSet, contents: ItemContentMap): Promise<void> {
    const tokenizer = new ItemContentTokenizer(this.modalities);
    const ids = [...train.allItems];
    const tokens = ids.map((id) => {
      const c = contents.get(id);
      return c ? tokenizer.tokenize(c) : { modalities: {} };
    });
    const lexical = new LexicalChannel(this.store, tokenizer.modalitySpecs(), 'idf', this.minDf);
    lexical.initFromItems(tokens);
    const v = await lexical.itemVectors(tokens);
    this.vectors = new Map(ids.map((id, i) => [id, v[i]]));
    const of = new Map<number, SparseVector[]>();
    for (const x of train.positives) {
      const list = of.get(x.userId) ?? [];
      if (list.length < this.history) list.push(this.vectors.get(x.itemId)!);
      of.set(x.userId, list);
    }
    this.profiles = new Map([...of].map(([u, list]) => [u, meanSparse(list)]));
  }

  scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Float32Array {
    return sparseScores(
      userIds.map((u) => this.profiles.get(u)),
      candidateItemIds.map((id) => this.vectors.get(id)!),
    );
  }

  dispose(): void {
    this.store.dispose();
  }
}
