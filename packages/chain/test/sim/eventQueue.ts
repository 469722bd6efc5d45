interface Entry {
  time: number;
  seq: number;
  run: () => void;
}

/** A virtual clock and its agenda: events run in (time, insertion) order, so runs are reproducible. */
export class EventQueue {
  private heap: Entry[] = [];
  private seq = 0;
  now = 0;

  get size(): number {
    return this.heap.length;
  }

  after(delay: number, run: () => void): void {
    this.push({ time: this.now + Math.max(0, delay), seq: this.seq++, run });
  }

  /** Runs the next event; false when there is none. */
  step(): boolean {
    const top = this.heap[0];
    if (top === undefined) return false;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    this.now = top.time;
    top.run();
    return true;
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
