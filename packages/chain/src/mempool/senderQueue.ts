import type { SignedTx } from "../tx/transaction.js";
import { IndexedHeap } from "./indexedHeap.js";

/** A transaction as the pool holds it. */
export interface PoolTx {
  readonly tx: SignedTx;
  readonly hashKey: string;
  /** Arrival order: breaks ties between equal tips (earlier first). */
  readonly seq: number;
  readonly size: number;
  /** gasLimit * maxFeePerGas + value. */
  readonly cost: bigint;
  readonly sender: SenderQueue;
}

/**
 * One sender's transactions by nonce. Those from the account nonce on without a gap are pending
 * (`pendingCount` of them); the rest are queued, in a heap by nonce so the highest is at hand for
 * eviction. Every operation costs O(log k) per transaction it moves.
 */
export class SenderQueue {
  readonly address: Uint8Array;
  readonly key: string;
  accountNonce: bigint;
  pendingCount = 0;
  readonly txs = new Map<bigint, PoolTx>();
  private readonly queued = new IndexedHeap<PoolTx>((a, b) => a.tx.nonce > b.tx.nonce);
  /** An upper bound of the costs held: while the balance covers it, no tx needs checking. */
  private costCap = 0n;

  /** What the pool's indexes hold for this sender, so it can update them when these change. */
  indexedHead: PoolTx | undefined;
  indexedLast: PoolTx | undefined;
  indexedLastQueued = false;
  indexedPending = 0;

  constructor(address: Uint8Array, key: string, accountNonce: bigint) {
    this.address = address;
    this.key = key;
    this.accountNonce = accountNonce;
  }

  get size(): number {
    return this.txs.size;
  }

  get queuedCount(): number {
    return this.queued.size;
  }

  /** The nonce that would extend the pending run. */
  get nextNonce(): bigint {
    return this.accountNonce + BigInt(this.pendingCount);
  }

  isPending(ptx: PoolTx): boolean {
    return ptx.tx.nonce < this.nextNonce;
  }

  /** The tx the sender can run next, if any. */
  head(): PoolTx | undefined {
    return this.pendingCount > 0 ? this.txs.get(this.accountNonce) : undefined;
  }

  /** The highest-nonce tx: the only one that can go without opening a gap. */
  last(): PoolTx | undefined {
    return this.queued.peek() ?? (this.pendingCount > 0 ? this.txs.get(this.nextNonce - 1n) : undefined);
  }

  /** Adds a tx at a free nonce at or above the account nonce; returns the txs that became pending. */
  insert(ptx: PoolTx): PoolTx[] {
    this.txs.set(ptx.tx.nonce, ptx);
    if (ptx.cost > this.costCap) this.costCap = ptx.cost;
    if (ptx.tx.nonce !== this.nextNonce) {
      this.queued.push(ptx);
      return [];
    }
    this.pendingCount++;
    return this.promote([ptx]);
  }

  /** Puts `ptx` in the place of `old` (same nonce). */
  replace(old: PoolTx, ptx: PoolTx): void {
    this.txs.set(ptx.tx.nonce, ptx);
    if (ptx.cost > this.costCap) this.costCap = ptx.cost;
    if (this.queued.remove(old)) this.queued.push(ptx);
  }

  /** Removes a tx; the pending ones after it can no longer run and become queued. */
  remove(ptx: PoolTx): void {
    const nonce = ptx.tx.nonce;
    if (this.txs.get(nonce) !== ptx) return;
    this.txs.delete(nonce);
    if (this.queued.remove(ptx)) return;
    const end = this.nextNonce;
    this.pendingCount = Number(nonce - this.accountNonce);
    for (let n = nonce + 1n; n < end; n++) this.queued.push(this.txs.get(n)!);
  }

  /** Follows the account to a new nonce; returns the txs below it, which it no longer holds. */
  setAccountNonce(nonce: bigint): PoolTx[] {
    const dropped: PoolTx[] = [];
    if (nonce > this.accountNonce) {
      // Walk the nonces passed when there are fewer of them than txs held, else the txs.
      if (nonce - this.accountNonce <= BigInt(this.txs.size)) {
        for (let n = this.accountNonce; n < nonce; n++) {
          const p = this.txs.get(n);
          if (p) dropped.push(p);
        }
      } else {
        for (const p of this.txs.values()) if (p.tx.nonce < nonce) dropped.push(p);
      }
      for (const p of dropped) {
        this.txs.delete(p.tx.nonce);
        this.queued.remove(p);
      }
      const end = this.nextNonce;
      this.accountNonce = nonce;
      this.pendingCount = end > nonce ? Number(end - nonce) : 0;
    } else if (nonce < this.accountNonce) {
      // The account went back (not expected with final blocks): requeue all, `promote` rebuilds the run.
      for (let n = this.accountNonce; n < this.nextNonce; n++) this.queued.push(this.txs.get(n)!);
      this.accountNonce = nonce;
      this.pendingCount = 0;
    }
    return dropped;
  }

  /** Removes the txs the balance no longer covers and returns them; their successors wait, queued. */
  dropUnpayable(balance: bigint): PoolTx[] {
    if (balance >= this.costCap) return [];
    const dropped: PoolTx[] = [];
    let cap = 0n;
    for (const p of this.txs.values()) {
      if (p.cost > balance) dropped.push(p);
      else if (p.cost > cap) cap = p.cost;
    }
    for (const p of dropped) this.remove(p);
    this.costCap = cap;
    return dropped;
  }

  /** Moves the queued txs that now continue the pending run; appends them to `out`. */
  promote(out: PoolTx[] = []): PoolTx[] {
    for (;;) {
      const p = this.txs.get(this.nextNonce);
      if (!p) return out;
      this.queued.remove(p);
      this.pendingCount++;
      out.push(p);
    }
  }

  pendingTxs(): PoolTx[] {
    const out: PoolTx[] = [];
    for (let i = 0; i < this.pendingCount; i++) out.push(this.txs.get(this.accountNonce + BigInt(i))!);
    return out;
  }

  queuedTxs(): PoolTx[] {
    return [...this.queued.values()].sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : 1));
  }
}
