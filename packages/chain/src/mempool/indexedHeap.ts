/**
 * A binary heap that also removes any element it holds in O(log n), by keeping each element's slot.
 * `before(a, b)` is true when `a` must come out before `b`; elements are compared by identity, so
 * their ordering fields must not change while they are in the heap.
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];
  private readonly slots = new Map<T, number>();
  private readonly before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.before = before;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  has(item: T): boolean {
    return this.slots.has(item);
  }

  push(item: T): void {
    this.items.push(item);
    this.slots.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Returns false when the item is not in the heap. */
  remove(item: T): boolean {
    const i = this.slots.get(item);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  /** The elements in heap order, not sorted. */
  values(): readonly T[] {
    return this.items;
  }

  private removeAt(i: number): void {
    const items = this.items;
    const removed = items[i]!;
    const last = items.pop()!;
    this.slots.delete(removed);
    if (i === items.length) return;
    items[i] = last;
    this.slots.set(last, i);
    if (i > 0 && this.before(last, items[(i - 1) >> 1]!)) this.up(i);
    else this.down(i);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!this.before(item, p)) break;
      items[i] = p;
      this.slots.set(p, i);
      i = parent;
    }
    items[i] = item;
    this.slots.set(item, i);
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.before(items[r]!, items[l]!) ? r : l;
      const c = items[child]!;
      if (!this.before(c, item)) break;
      items[i] = c;
      this.slots.set(c, i);
      i = child;
    }
    items[i] = item;
    this.slots.set(item, i);
  }
}
