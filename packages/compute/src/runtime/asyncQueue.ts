/** Pieces pushed by one side, read with `for await` by the other; the reader's `return()` calls `onCancel`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((e: unknown) => void) | null = null;
  private ended = false;
  private error: unknown = null;

  constructor(private readonly onCancel: () => void = () => {}) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) this.settle({ value: item, done: false });
    else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    if (this.waiting) this.settle({ value: undefined, done: true });
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.failWaiting) {
      const f = this.failWaiting;
      this.waiting = null;
      this.failWaiting = null;
      f(error);
    }
  }

  private settle(r: IteratorResult<T>): void {
    const w = this.waiting!;
    this.waiting = null;
    this.failWaiting = null;
    w(r);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.error !== null) return Promise.reject(this.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
      return: () => {
        if (!this.ended) this.onCancel();
        this.ended = true;
        this.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
