/**
 * Response bodies of a download, reused once every segment in them has been written. A fresh multi-MiB buffer per
 * response made V8 count it as external memory and run a mark-compact every ~20 MiB (~100 per GiB, half the client's
 * CPU); reused buffers also stay in memory the process has already touched.
 */
export class BufferPool {
  private readonly free: Uint8Array[] = [];

  /** Keeps at most `maxFree` idle buffers; buffers are at least `minBytes` so one fits any batch of a download. */
  constructor(
    private readonly maxFree: number,
    private readonly minBytes = 0,
  ) {}

  /** A lease: the memory it hands out returns to the pool on `release()`, which the holder calls once. */
  lease(): BufferLease {
    const taken: Uint8Array[] = [];
    let released = false;
    return {
      allocate: (size) => {
        if (released) throw new Error("allocate on a released lease");
        const k = this.free.findIndex((b) => b.length >= size);
        const whole = k >= 0 ? this.free.splice(k, 1)[0]! : new Uint8Array(Math.max(size, this.minBytes));
        taken.push(whole);
        return whole.subarray(0, size);
      },
      release: () => {
        if (released) return;
        released = true;
        for (const b of taken) if (this.free.length < this.maxFree) this.free.push(b);
      },
    };
  }
}

export interface BufferLease {
  /** `size` bytes of memory (not zeroed) that stay the holder's until `release`. */
  allocate(size: number): Uint8Array;
  release(): void;
}
