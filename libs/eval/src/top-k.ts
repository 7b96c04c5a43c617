/**
 * Indices of the k largest scores, best first, ties broken by lower index so
 * results repeat. A size-k min-heap: O(n log k), no full sort of n scores.
 * `skip(i)` drops candidates (e.g. items seen in training); NaN scores never win.
 */
export function topKIndices(scores: ArrayLike<number>, k: number, skip?: (index: number) => boolean): number[] {
  const n = scores.length;
  if (k <= 0 || n === 0) return [];
  const cap = Math.min(k, n);
  const heap = new Int32Array(cap);
  let size = 0;
  // "worse" = lower score, or equal score and higher index.
  const worse = (a: number, b: number): boolean => {
    const sa = scores[a];
    const sb = scores[b];
    return sa < sb || (sa === sb && a > b);
  };
  const siftDown = (pos: number) => {
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < size && worse(heap[l], heap[m])) m = l;
      if (r < size && worse(heap[r], heap[m])) m = r;
      if (m === pos) return;
      const t = heap[pos];
      heap[pos] = heap[m];
      heap[m] = t;
      pos = m;
    }
  };
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]) || (skip && skip(i))) continue;
    if (size < cap) {
      let pos = size++;
      heap[pos] = i;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!worse(heap[pos], heap[parent])) break;
        const t = heap[pos];
        heap[pos] = heap[parent];
        heap[parent] = t;
        pos = parent;
      }
    } else if (worse(heap[0], i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  const out = Array.from(heap.subarray(0, size));
  out.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  return out;
}

/**
 * 1-based rank of `target` among `scores` (1 + number of candidates that beat
 * it; ties count against the target, the pessimistic convention).
 */
export function rankOf(scores: ArrayLike<number>, target: number, skip?: (index: number) => boolean): number {
  const s = scores[target];
  let rank = 1;
  for (let i = 0; i < scores.length; i++) {
    if (i === target || (skip && skip(i))) continue;
    if (scores[i] > s || (scores[i] === s && i < target) || Number.isNaN(s)) rank++;
  }
  return rank;
}
