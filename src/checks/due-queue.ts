/**
 * A binary min-heap of due times. Entries are never removed from the middle: the scheduler
 * marks them stale (by changing its own record) and skips them when they surface, which keeps
 * every operation O(log n) for 10,000s of checks.
 */
export interface DueItem {
  due: number;
  name: string;
  /** Tie-breaker so that equal due times pop in insertion order. */
  seq: number;
}

export class DueQueue {
  readonly #heap: DueItem[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(due: number, name: string): DueItem {
    const item = { due, name, seq: this.#seq++ };
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    return item;
  }

  peek(): DueItem | undefined {
    return this.#heap[0];
  }

  pop(): DueItem | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: DueItem, b: DueItem): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
