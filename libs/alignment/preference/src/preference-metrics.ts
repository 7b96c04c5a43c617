import type { PairedLossOutput, UnpairedLossOutput } from './losses/preference-loss.types';

export interface PairedMetrics {
  loss: number;
  rewardChosen: number;
  rewardRejected: number;
  /** Mean of r_w − r_l. */
  margin: number;
  /** Fraction of pairs with r_w > r_l. */
  accuracy: number;
  count: number;
}

/** Reads a paired loss output back as numbers (the tensors stay owned by the caller). */
export async function pairedMetrics(out: PairedLossOutput): Promise<PairedMetrics> {
  const [loss, w, l] = await Promise.all([out.loss.data(), out.chosenRewards.data(), out.rejectedRewards.data()]);
  return pairedMetricsFromRewards(w, l, loss[0]);
}

export function pairedMetricsFromRewards(
  chosen: ArrayLike<number>,
  rejected: ArrayLike<number>,
  loss = NaN,
): PairedMetrics {
  const n = chosen.length;
  let sw = 0;
  let sl = 0;
  let wins = 0;
  for (let i = 0; i < n; i++) {
    sw += chosen[i];
    sl += rejected[i];
    if (chosen[i] > rejected[i]) wins++;
  }
  return { loss, rewardChosen: sw / n, rewardRejected: sl / n, margin: (sw - sl) / n, accuracy: wins / n, count: n };
}

export interface UnpairedMetrics {
  loss: number;
  rewardDesirable: number;
  rewardUndesirable: number;
  count: number;
}

export async function unpairedMetrics(out: UnpairedLossOutput, labels: ArrayLike<number>): Promise<UnpairedMetrics> {
  const [loss, r] = await Promise.all([out.loss.data(), out.rewards.data()]);
  let sd = 0;
  let nd = 0;
  let su = 0;
  let nu = 0;
  for (let i = 0; i < r.length; i++) {
    if (labels[i]) {
      sd += r[i];
      nd++;
    } else {
      su += r[i];
      nu++;
    }
  }
  return { loss: loss[0], rewardDesirable: nd ? sd / nd : NaN, rewardUndesirable: nu ? su / nu : NaN, count: r.length };
}
