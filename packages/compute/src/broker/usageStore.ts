import { type BatchOp, bytesToHex, bytesToUtf8, type Hex, hexToBytes, type KVStore, tableKey, utf8ToBytes } from "@zerog/core";
import type { SignedTx } from "./brokerChain.js";
import { GroupCommit } from "./groupCommit.js";

/** One answered, billed request as the broker keeps it until it is settled. */
export interface UsageRecord {
  /** `ZG-Res-Key`. */
  chatId: string;
  user: Hex;
  fee: bigint;
  /** EIP-712 digest of the request's InferenceReceipt. */
  receiptDigest: Uint8Array;
  /** Unix ms. */
  createdAt: number;
  /** What `GET /v1/proxy/signature/:chatId` serves, as stored. */
  signatureJSON: string;
}

export interface UnsettledEntry {
  seq: number;
  chatId: string;
  fee: bigint;
  receiptDigest: Uint8Array;
  createdAt: number;
  /** The settlement batch that covers it, while that batch is on its way. */
  batchId?: string;
}

export interface UserUsage {
  user: Hex;
  /** Unsettled entries, oldest (lowest seq) first. */
  entries: UnsettledEntry[];
  /** Σ fee of `entries`. */
  unsettled: bigint;
  /** Fees reserved by requests in flight (admission), not yet answered. */
  reserved: bigint;
}

/** A `settleFeesWithTEE` transaction and what it covers, stored before it is sent. */
export interface StoredBatch {
  id: string;
  tx: SignedTx;
  createdAt: number;
  /** The sends so far (the first, and resends). */
  sends: number;
  items: StoredBatchItem[];
}

export interface StoredBatchItem {
  user: Hex;
  nonce: string;
  totalFee: string;
  requestsHash: Hex;
  signature: Hex;
  /** The unsettled entries (seq) this settlement covers. */
  seqs: number[];
}

// Tables (1-byte prefixes): one LMDB environment, one transaction per group of writes.
const T = {
  RECORD: 0x01, // chatId → signature JSON
  UNSETTLED: 0x02, // user(20) ‖ seq(8) → {c: chatId, f: fee, d: digest, t: createdAt}
  BATCH: 0x03, // batch id → StoredBatch
  META: 0x04, // "seq" → last seq
  BY_TIME: 0x05, // createdAt(8) ‖ chatId → user(20) ‖ seq(8)  (retention of settled records)
} as const;
const SEQ_KEY = tableKey(T.META, utf8ToBytes("seq"));

/**
 * The broker's durable state: signature records (served by `/v1/proxy/signature/:chatId`), the unsettled usage of
 * every user and the settlement batches on their way — on disk (LMDB) and mirrored in memory. Memory changes only
 * after the disk write it mirrors is committed, so what the broker bills, admits and settles is what a restart
 * finds.
 */
export class UsageStore {
  private readonly commit: GroupCommit;
  private readonly usage = new Map<Hex, UserUsage>();
  private readonly pending = new Map<string, StoredBatch>();
  private seq = 0;

  constructor(private readonly db: KVStore) {
    this.commit = new GroupCommit(db);
  }

  get commitStats(): { transactions: number; writes: number } {
    return this.commit.stats;
  }

  /** Reads the unsettled usage and the pending batches from disk. */
  load(): void {
    this.usage.clear();
    this.pending.clear();
    const seq = this.db.get(SEQ_KEY);
    this.seq = seq ? readU64(seq, 0) : 0;
    for (const { key, value } of this.db.range(tableRange(T.UNSETTLED))) {
      const user = bytesToHex(key.subarray(1, 21));
      const v = JSON.parse(bytesToUtf8(value)) as { c: string; f: string; d: Hex; t: number };
      const u = this.userUsage(user);
      u.entries.push({ seq: readU64(key, 21), chatId: v.c, fee: BigInt(v.f), receiptDigest: hexToBytes(v.d), createdAt: v.t });
      u.unsettled += BigInt(v.f);
    }
    for (const { value } of this.db.range(tableRange(T.BATCH))) {
      const b = JSON.parse(bytesToUtf8(value)) as StoredBatch;
      this.pending.set(b.id, b);
      this.mark(b, b.id);
    }
  }

  /** Stores a billed request; resolves once it is durable, and only then counts it as unsettled. */
  async append(r: UsageRecord): Promise<void> {
    const seq = ++this.seq;
    const user = hexToBytes(r.user);
    const uKey = tableKey(T.UNSETTLED, user, u64(seq));
    const chatId = utf8ToBytes(r.chatId);
    const ops: BatchOp[] = [
      { type: "put", key: tableKey(T.RECORD, chatId), value: utf8ToBytes(r.signatureJSON) },
      {
        type: "put",
        key: uKey,
        value: utf8ToBytes(JSON.stringify({ c: r.chatId, f: r.fee.toString(), d: bytesToHex(r.receiptDigest), t: r.createdAt })),
      },
      { type: "put", key: tableKey(T.BY_TIME, u64(r.createdAt), chatId), value: uKey.subarray(1) },
      { type: "put", key: SEQ_KEY, value: u64(seq) },
    ];
    await this.commit.write(ops);
    const u = this.userUsage(r.user);
    u.entries.push({ seq, chatId: r.chatId, fee: r.fee, receiptDigest: r.receiptDigest, createdAt: r.createdAt });
    u.unsettled += r.fee;
  }

  /** The stored signature JSON of a request, if it is still kept. */
  signature(chatId: string): string | undefined {
    const v = this.db.get(tableKey(T.RECORD, utf8ToBytes(chatId)));
    return v === undefined ? undefined : bytesToUtf8(v);
  }

  of(user: Hex): UserUsage | undefined {
    return this.usage.get(user);
  }

  users(): IterableIterator<UserUsage> {
    return this.usage.values();
  }

  reserve(user: Hex, amount: bigint): void {
    this.userUsage(user).reserved += amount;
  }

  release(user: Hex, amount: bigint): void {
    const u = this.usage.get(user);
    if (!u) return;
    u.reserved -= amount;
    if (u.reserved === 0n && u.entries.length === 0) this.usage.delete(user);
  }

  batches(): StoredBatch[] {
    return [...this.pending.values()];
  }

  /** Stores a signed settlement transaction before it is sent. */
  async saveBatch(b: StoredBatch): Promise<void> {
    await this.commit.write([{ type: "put", key: tableKey(T.BATCH, utf8ToBytes(b.id)), value: utf8ToBytes(JSON.stringify(b)) }]);
    this.pending.set(b.id, b);
    this.mark(b, b.id);
  }

  /**
   * Ends a batch: the items of `settledUsers` are settled on chain (their entries are dropped, exactly once, in the
   * same transaction that drops the batch); the others go back to unsettled.
   */
  async finishBatch(b: StoredBatch, settledUsers: ReadonlySet<Hex>): Promise<void> {
    const ops: BatchOp[] = [{ type: "del", key: tableKey(T.BATCH, utf8ToBytes(b.id)) }];
    for (const item of b.items) {
      if (!settledUsers.has(item.user)) continue;
      for (const seq of item.seqs) ops.push({ type: "del", key: tableKey(T.UNSETTLED, hexToBytes(item.user), u64(seq)) });
    }
    await this.commit.write(ops);
    this.pending.delete(b.id);
    this.mark(b, undefined);
    for (const item of b.items) {
      if (!settledUsers.has(item.user)) continue;
      const u = this.usage.get(item.user);
      if (!u) continue;
      const seqs = new Set(item.seqs);
      u.entries = u.entries.filter((e) => {
        if (!seqs.has(e.seq)) return true;
        u.unsettled -= e.fee;
        return false;
      });
      if (u.entries.length === 0 && u.reserved === 0n) this.usage.delete(item.user);
    }
  }

  /** Drops settled signature records created before `before` (unix ms); at most `limit` per call. */
  async prune(before: number, limit = 10_000): Promise<number> {
    const ops: BatchOp[] = [];
    let n = 0;
    for (const { key, value } of this.db.range({ gte: new Uint8Array([T.BY_TIME]), lt: tableKey(T.BY_TIME, u64(before)), limit })) {
      if (this.db.has(tableKey(T.UNSETTLED, value))) continue;
      ops.push({ type: "del", key }, { type: "del", key: tableKey(T.RECORD, key.subarray(9)) });
      n++;
    }
    if (ops.length > 0) await this.commit.write(ops);
    return n;
  }

  /** Resolves once every write asked for is committed. */
  drain(): Promise<void> {
    return this.commit.drain();
  }

  /** Refuses every further write (a kill, for fault tests). */
  halt(): void {
    this.commit.halt();
  }

  private mark(b: StoredBatch, batchId: string | undefined): void {
    for (const item of b.items) {
      const u = this.usage.get(item.user);
      if (!u) continue;
      const seqs = new Set(item.seqs);
      for (const e of u.entries) {
        if (!seqs.has(e.seq)) continue;
        if (batchId === undefined) delete e.batchId;
        else e.batchId = batchId;
      }
    }
  }

  private userUsage(user: Hex): UserUsage {
    let u = this.usage.get(user);
    if (!u) {
      u = { user, entries: [], unsettled: 0n, reserved: 0n };
      this.usage.set(user, u);
    }
    return u;
  }
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function readU64(b: Uint8Array, at: number): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at));
}

function tableRange(table: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: new Uint8Array([table]), lt: new Uint8Array([table + 1]) };
}
