import { type Database, open, type RootDatabase } from "lmdb";
import { CoreError, CoreErrorCode } from "../errors.js";
import type { BatchOp, KVStore, RangeOptions } from "./kvStore.js";

/**
 * - `fsync`: every batch is fsynced before it resolves (survives power loss; slowest).
 * - `process` (default): a resolved batch is in the OS page cache, so it survives the process being
 *   killed at any moment; an OS crash or power loss may lose the most recent batches but leaves the
 *   database consistent (LMDB without MDB_WRITEMAP keeps ACI when the file system keeps write order).
 * - `unsafe`: adds MDB_WRITEMAP (about 2x faster writes); still survives process kills, but an OS
 *   crash can corrupt the database. For benchmarks and throwaway data.
 */
export type Durability = "fsync" | "process" | "unsafe";

export interface LMDBStoreOptions {
  path: string;
  durability?: Durability;
  /** Maximum map size in bytes (LMDB grows the file up to this). */
  mapSize?: number;
}

function toU8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** KVStore over LMDB: sync reads from a memory map; each batch is one write transaction, applied off the main thread. */
export class LMDBStore implements KVStore {
  private readonly db: RootDatabase<Buffer, Buffer> & Database<Buffer, Buffer>;
  private closed = false;
  private readonly fsync: boolean;

  constructor(opts: LMDBStoreOptions) {
    this.fsync = (opts.durability ?? "process") === "fsync";
    this.db = open<Buffer, Buffer>({
      path: opts.path,
      encoding: "binary",
      keyEncoding: "binary",
      compression: false,
      noSync: (opts.durability ?? "process") !== "fsync",
      useWritemap: opts.durability === "unsafe",
      mapSize: opts.mapSize ?? 64 * 1024 ** 3,
      // Our values are often read, modified and re-read within a block; no shared-structure caches.
      cache: false,
    }) as RootDatabase<Buffer, Buffer> & Database<Buffer, Buffer>;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen("get");
    const v = this.db.getBinary(key as Buffer);
    return v === undefined ? undefined : toU8(v);
  }

  has(key: Uint8Array): boolean {
    this.assertOpen("has");
    return this.db.doesExist(key as Buffer);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    this.assertOpen("batch");
    if (ops.length === 0) return;
    try {
      // One atomic batch, applied by lmdb's writer thread: the main thread only queues the
      // operations (~1 µs each) instead of walking the B-tree (~10-25 µs per random put once large).
      await this.db.batch(() => {
        for (const op of ops) {
          if (op.type === "put") this.db.put(op.key as Buffer, op.value as Buffer);
          else this.db.remove(op.key as Buffer);
        }
      });
      if (this.fsync) await this.db.flushed;
    } catch (e) {
      throw new CoreError({ code: CoreErrorCode.DB_ERROR, op: "batch" }, `database write failed: ${(e as Error).message}`, { cause: e });
    }
  }

  *range(opts: RangeOptions): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    this.assertOpen("range");
    const reverse = opts.reverse ?? false;
    // lmdb's reverse ranges go from `start` down to `end`.
    const rangeOpts: { start?: Buffer; end?: Buffer; reverse: boolean; limit?: number } = { reverse };
    if (reverse) {
      if (opts.lt) rangeOpts.start = opts.lt as Buffer;
      if (opts.gte) rangeOpts.end = opts.gte as Buffer;
    } else {
      if (opts.gte) rangeOpts.start = opts.gte as Buffer;
      if (opts.lt) rangeOpts.end = opts.lt as Buffer;
    }
    if (opts.limit !== undefined) rangeOpts.limit = opts.limit;
    for (const { key, value } of this.db.getRange(rangeOpts)) {
      // In reverse, lmdb includes `start` (our exclusive `lt`) when it exists: skip it.
      if (reverse && opts.lt && Buffer.compare(key, opts.lt) >= 0) continue;
      yield { key: toU8(key), value: toU8(value) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }

  private assertOpen(op: string): void {
    if (this.closed) throw new CoreError({ code: CoreErrorCode.DB_ERROR, op }, `database is closed (${op})`);
  }
}

/** In-memory KVStore for tests and simulations: same semantics, no disk. */
export class MemoryStore implements KVStore {
  private readonly map = new Map<string, { key: Uint8Array; value: Uint8Array }>();

  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(Buffer.from(key).toString("hex"))?.value;
  }

  has(key: Uint8Array): boolean {
    return this.map.has(Buffer.from(key).toString("hex"));
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    for (const op of ops) {
      const k = Buffer.from(op.key).toString("hex");
      if (op.type === "put") this.map.set(k, { key: Uint8Array.from(op.key), value: Uint8Array.from(op.value) });
      else this.map.delete(k);
    }
  }

  *range(opts: RangeOptions): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    const gte = opts.gte ? Buffer.from(opts.gte).toString("hex") : undefined;
    const lt = opts.lt ? Buffer.from(opts.lt).toString("hex") : undefined;
    const keys = [...this.map.keys()].filter((k) => (gte === undefined || k >= gte) && (lt === undefined || k < lt)).sort();
    if (opts.reverse) keys.reverse();
    let n = 0;
    for (const k of keys) {
      if (opts.limit !== undefined && n++ >= opts.limit) return;
      yield this.map.get(k)!;
    }
  }

  async close(): Promise<void> {}
}
