/**
 * The storage engine seen by the rest of zerog: synchronous point reads (execution reads state on
 * its hot path), atomic durable batches (a block commits all-or-nothing), and ordered range scans.
 * Tables are 1-byte key prefixes so one batch can span them.
 */
export type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

export interface RangeOptions {
  /** Inclusive lower bound. */
  gte?: Uint8Array;
  /** Exclusive upper bound. */
  lt?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export interface KVStore {
  get(key: Uint8Array): Uint8Array | undefined;
  has(key: Uint8Array): boolean;
  /** Applies all ops atomically; resolves once they survive a crash of this process (see `Durability`). */
  batch(ops: readonly BatchOp[]): Promise<void>;
  range(opts: RangeOptions): Iterable<{ key: Uint8Array; value: Uint8Array }>;
  close(): Promise<void>;
}

/** Key of `table` + parts, without copying more than once. */
export function tableKey(table: number, ...parts: Uint8Array[]): Uint8Array {
  let len = 1;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  out[0] = table;
  let off = 1;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The exclusive upper bound of every key that starts with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = Uint8Array.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0xff, 0xff, 0xff, 0xff]);
}
