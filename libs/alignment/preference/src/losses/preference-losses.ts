import { bceLoss } from './bce.loss';
import { bcoLoss, type BcoOptions } from './bco.loss';
import { dpoHingeLoss } from './dpo-hinge.loss';
import { dpoIpoLoss } from './dpo-ipo.loss';
import { dpoSigmoidLoss, type DpoSigmoidOptions } from './dpo-sigmoid.loss';
import { ktoLoss, type KtoOptions } from './kto.loss';
import type {
  BetaOptions,
  PairedLogProbs,
  PairedLossOutput,
  UnpairedLogProbs,
  UnpairedLossOutput,
} from './preference-loss.types';

/** Paired losses by name; a trainer picks one from its config. */
export const pairedLosses = {
  'dpo-sigmoid': dpoSigmoidLoss as (b: PairedLogProbs, o?: DpoSigmoidOptions) => PairedLossOutput,
  'dpo-hinge': dpoHingeLoss as (b: PairedLogProbs, o?: BetaOptions) => PairedLossOutput,
  'dpo-ipo': dpoIpoLoss as (b: PairedLogProbs, o?: BetaOptions) => PairedLossOutput,
} as const;
export type PairedLossName = keyof typeof pairedLosses;

/** Unpaired (thumbs) losses by name. */
export const unpairedLosses = {
  kto: ktoLoss as (b: UnpairedLogProbs, o: KtoOptions) => UnpairedLossOutput,
  bco: bcoLoss as (b: UnpairedLogProbs, o: BcoOptions) => UnpairedLossOutput,
  bce: bceLoss as (b: UnpairedLogProbs, o?: BetaOptions) => UnpairedLossOutput,
} as const;
export type UnpairedLossName = keyof typeof unpairedLosses;

export function isPairedLossName(name: string): name is PairedLossName {
  return Object.hasOwn(pairedLosses, name);
}
