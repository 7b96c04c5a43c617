import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import { checkTemperature, selectionMatrix } from './ranking-batch-checks';
import { DEFAULT_ALIGNMENT_TEMPERATURE } from './ranking-loss.types';

export interface InfoNceOptions {
  /** τ_a; default 0.07 (spec §3.2). */
  temperature?: number;
  /** L2-normalise the rows first (default true, as the spec asks). */
  normalize?: boolean;
}

export interface InfoNceOutput {
  /** ½ [CE(H_a H_bᵀ/τ, I) + CE(H_b H_aᵀ/τ, I)]. */
  loss: tf.Scalar;
  /** The two directions, for logging. */
  aToB: tf.Scalar;
  bToA: tf.Scalar;
}

/**
 * Symmetric InfoNCE between two views of the same rows (row i of H_a matches row i of H_b).
 * H_a = H_b = I₂ at τ = 1 gives log(e + 1) − 1 = 0.313262 in each direction.
 */
export function infoNceAlignmentLoss(ha: tf.Tensor2D, hb: tf.Tensor2D, options: InfoNceOptions = {}): InfoNceOutput {
  const tau = checkTemperature(options.temperature ?? DEFAULT_ALIGNMENT_TEMPERATURE);
  if (ha.rank !== 2 || hb.rank !== 2) throw new InvalidInputError('InfoNCE inputs must be 2-D [rows, dim]');
  if (ha.shape[0] !== hb.shape[0] || ha.shape[1] !== hb.shape[1]) {
    throw new DimensionMismatchError(`InfoNCE views differ in shape: [${ha.shape}] vs [${hb.shape}]`, {
      a: ha.shape,
      b: hb.shape,
    });
  }
  if (ha.shape[0] === 0) throw new InvalidInputError('InfoNCE needs at least one row');
  const n = ha.shape[0];
  return tf.tidy(() => {
    const norm = (h: tf.Tensor2D): tf.Tensor2D =>
      options.normalize === false
        ? h
        : (tf.div(h, tf.sqrt(tf.add(tf.sum(tf.square(h), 1, true), 1e-12))) as tf.Tensor2D);
    const a = norm(ha);
    const b = norm(hb);
    const logits = tf.div(tf.matMul(a, b, false, true), tau) as tf.Tensor2D;
    const diag = tf.sum(tf.mul(logits, tf.eye(n)), 1);
    const aToB = tf.mean(tf.sub(tf.logSumExp(logits, 1), diag)) as tf.Scalar;
    const bToA = tf.mean(tf.sub(tf.logSumExp(logits, 0), diag)) as tf.Scalar;
    return { loss: tf.mul(0.5, tf.add(aToB, bToA)) as tf.Scalar, aToB, bToA };
  });
}

/** One modality's CLS vectors for the batch's items and which items actually have that modality. */
export interface ModalityView {
  h: tf.Tensor2D;
  /** 1 where the item has this modality, per row of h. */
  present: Uint8Array;
}

/**
 * Σ over modality pairs a < b of the symmetric InfoNCE, each on the items holding both modalities.
 * Pairs with fewer than 2 shared items are skipped (nothing to contrast). Returns 0 if none remain.
 */
export function multimodalAlignmentLoss(views: readonly ModalityView[], options: InfoNceOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (let a = 0; a < views.length; a++) {
      for (let b = a + 1; b < views.length; b++) {
        const rows: number[] = [];
        const va = views[a];
        const vb = views[b];
        for (let i = 0; i < va.present.length; i++) if (va.present[i] && vb.present[i]) rows.push(i);
        if (rows.length < 2) continue;
        // Row selection as a one-hot matmul: its gradient needs no gather kernel.
        const sel = selectionMatrix(rows, va.h.shape[0]);
        const out = infoNceAlignmentLoss(tf.matMul(sel, va.h), tf.matMul(sel, vb.h), options);
        total = tf.add(total, out.loss) as tf.Scalar;
      }
    }
    return total;
  });
}
