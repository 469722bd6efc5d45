import { bytesToHex, type Hex, isZgError, type Logger, type Metrics } from "@zerog/core";
import { MempoolError, MempoolErrorCode } from "../errors.js";
import { maxTxCost, validateTxAgainstAccount, validateTxStatic } from "../execution/validateTx.js";
import type { AccountData } from "../state/account.js";
import { effectiveTip, type SignedTx } from "../tx/transaction.js";
import { EvictionIndex } from "./evictionIndex.js";
import { type HeadNode, insertHead, removeHead } from "./headTree.js";
import { createMempoolMetrics, type MempoolMetrics } from "./mempoolMetrics.js";
import { PriorityIterator, type TxCandidates } from "./priorityIterator.js";
import { type PoolTx, SenderQueue } from "./senderQueue.js";

export interface MempoolOptions {
  maxTxs: number;
  maxBytes: number;
  maxTxsPerSender: number;
  /** A tx more than this far above its sender's account nonce is refused. */
  maxNonceGap: number;
  /** How much higher both fee fields of a replacement (same sender and nonce) must be. */
  priceBumpPercent: number;
}

export const defaultMempoolOptions: MempoolOptions = {
  maxTxs: 60_000,
  maxBytes: 256 * 1024 * 1024,
  maxTxsPerSender: 1_000,
  maxNonceGap: 1_000,
  priceBumpPercent: 10,
};

export interface MempoolDeps {
  /** The account in the latest committed state. */
  getAccount(address: Uint8Array): AccountData | undefined;
  chainId: bigint;
  logger: Logger;
  metrics: Metrics | null;
}

export interface AddTxContext {
  baseFee: bigint;
  blockGasLimit: bigint;
}

export interface AddTxResult {
  status: "pending" | "queued";
  replaced?: SignedTx;
}

/** By sender address (lower-case hex), in nonce order: what `txpool_content` shows. */
export interface MempoolContent {
  pending: Map<Hex, SignedTx[]>;
  queued: Map<Hex, SignedTx[]>;
}

/**
 * The pool of valid transactions waiting for a block. Pending txs continue their sender's nonce run
 * from the account nonce; queued ones wait for a gap to fill. Admission, eviction and removal cost
 * O(log n) per tx; a block's candidates and its clean-up cost what the block and its senders hold.
 */
export class Mempool {
  readonly options: MempoolOptions;
  private readonly deps: MempoolDeps;
  private readonly log: Logger;
  private readonly metrics: MempoolMetrics | null;
  private readonly byHash = new Map<string, PoolTx>();
  private readonly senders = new Map<string, SenderQueue>();
  private readonly eviction = new EvictionIndex();
  private readonly listeners = new Set<(tx: SignedTx) => void>();
  /** Each sender's head tx, immutable: `candidates` takes it as a snapshot. */
  private heads: HeadNode | null = null;
  private bytes = 0;
  private pendingTotal = 0;
  private seq = 0;

  constructor(options: Partial<MempoolOptions>, deps: MempoolDeps) {
    this.options = { ...defaultMempoolOptions, ...options };
    this.deps = deps;
    this.log = deps.logger;
    this.metrics = deps.metrics ? createMempoolMetrics(deps.metrics) : null;
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Validates and admits a tx; throws a `TxError` or `MempoolError` whose message is geth's. */
  add(tx: SignedTx, ctx: AddTxContext): AddTxResult {
    try {
      const result = this.admit(tx, ctx);
      this.metrics?.added.inc();
      return result;
    } catch (e) {
      if (isZgError(e)) this.metrics?.rejected.inc({ reason: e.code });
      throw e;
    } finally {
      this.updateGauges();
    }
  }

  /** The executable txs for a block at `baseFee`; reads a snapshot and never changes the pool. */
  candidates(baseFee: bigint): TxCandidates {
    return new PriorityIterator(this.heads, baseFee);
  }

  /** After a block is committed: drops what it included and what the senders' new state invalidates. */
  onBlock(included: SignedTx[]): void {
    const touched = new Map<string, SenderQueue>();
    for (const tx of included) {
      const sq = this.senders.get(bytesToHex(tx.sender));
      if (sq) touched.set(sq.key, sq);
    }
    const promoted: PoolTx[] = [];
    let dropped = 0;
    for (const sq of touched.values()) dropped += this.syncSender(sq, this.deps.getAccount(sq.address), promoted);
    // Included txs are below their sender's new nonce and gone by now, unless the state lags the block.
    for (const tx of included) {
      const ptx = this.byHash.get(bytesToHex(tx.hash));
      if (ptx) this.detach(ptx);
    }
    this.updateGauges();
    this.notify(promoted);
    this.log.debug({ included: included.length, senders: touched.size, dropped, size: this.size }, "pool updated for block");
  }

  remove(hash: Uint8Array): boolean {
    const ptx = this.byHash.get(bytesToHex(hash));
    if (!ptx) return false;
    this.detach(ptx);
    this.updateGauges();
    return true;
  }

  get(hash: Uint8Array): SignedTx | undefined {
    return this.byHash.get(bytesToHex(hash))?.tx;
  }

  has(hash: Uint8Array): boolean {
    return this.byHash.has(bytesToHex(hash));
  }

  /** Each sender's next executable transaction (the one every later one of that sender waits for). */
  pendingHeads(): SignedTx[] {
    const out: SignedTx[] = [];
    for (const sq of this.senders.values()) {
      const h = sq.head();
      if (h) out.push(h.tx);
    }
    return out;
  }

  status(): { pending: number; queued: number } {
    return { pending: this.pendingTotal, queued: this.size - this.pendingTotal };
  }

  content(): MempoolContent {
    const out: MempoolContent = { pending: new Map(), queued: new Map() };
    for (const sq of this.senders.values()) {
      const key = sq.key as Hex;
      const pending = sq.pendingTxs();
      const queued = sq.queuedTxs();
      if (pending.length > 0) out.pending.set(key, pending.map(toTx));
      if (queued.length > 0) out.queued.set(key, queued.map(toTx));
    }
    return out;
  }

  /** The nonce a sender's next tx should have: account nonce plus its pending run. */
  pendingNonce(sender: Uint8Array): bigint {
    const accountNonce = this.deps.getAccount(sender)?.nonce ?? 0n;
    const sq = this.senders.get(bytesToHex(sender));
    if (!sq) return accountNonce;
    const next = sq.nextNonce;
    return next > accountNonce ? next : accountNonce;
  }

  /** Calls `listener` with every tx as it becomes pending (added or promoted); returns an unsubscribe. */
  onAdded(listener: (tx: SignedTx) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private admit(tx: SignedTx, ctx: AddTxContext): AddTxResult {
    const o = this.options;
    validateTxStatic(tx, { chainId: this.deps.chainId, blockGasLimit: ctx.blockGasLimit });
    const hashKey = bytesToHex(tx.hash);
    if (this.byHash.has(hashKey)) throw new MempoolError({ code: MempoolErrorCode.ALREADY_KNOWN, hash: hashKey }, "already known");
    const account = this.deps.getAccount(tx.sender);
    validateTxAgainstAccount(tx, account, ctx.baseFee, { exactNonce: false });
    const accountNonce = account?.nonce ?? 0n;
    if (tx.nonce - accountNonce > BigInt(o.maxNonceGap)) {
      throw new MempoolError(
        { code: MempoolErrorCode.NONCE_GAP_TOO_LARGE, nonce: tx.nonce, accountNonce, maxGap: o.maxNonceGap },
        `nonce too high: next nonce ${accountNonce}, tx nonce ${tx.nonce}, max gap ${o.maxNonceGap}`,
      );
    }
    const senderKey = bytesToHex(tx.sender);
    let sq = this.senders.get(senderKey);
    if (sq && sq.accountNonce !== accountNonce) {
      // The state moved on without `onBlock` seeing this sender: catch up first.
      const promoted: PoolTx[] = [];
      this.syncSender(sq, account, promoted);
      this.notify(promoted);
      sq = this.senders.get(senderKey);
    }
    const old = sq?.txs.get(tx.nonce);
    if (old) checkReplacement(old.tx, tx, o.priceBumpPercent, hashKey);
    else if (sq && sq.size >= o.maxTxsPerSender) {
      throw new MempoolError(
        { code: MempoolErrorCode.SENDER_LIMIT, sender: senderKey, limit: o.maxTxsPerSender },
        "account limit exceeded",
      );
    }
    if (tx.raw.length > o.maxBytes) throw poolFull(o.maxTxs);
    if (!sq) {
      sq = new SenderQueue(tx.sender, senderKey, accountNonce);
      this.senders.set(senderKey, sq);
    }
    const ptx: PoolTx = { tx, hashKey, seq: this.seq++, size: tx.raw.length, cost: maxTxCost(tx), sender: sq };
    const promoted = this.attach(ptx, old);
    this.makeRoom(ptx, old, ctx.baseFee);
    this.notify(promoted);
    const status = sq.isPending(ptx) ? "pending" : "queued";
    return old ? { status, replaced: old.tx } : { status };
  }

  /** Evicts the cheapest senders' last txs until the limits hold, or undoes the admission of `ptx`. */
  private makeRoom(ptx: PoolTx, old: PoolTx | undefined, baseFee: bigint): void {
    const evicted: PoolTx[] = [];
    const tip = effectiveTip(ptx.tx, baseFee);
    while (this.size > this.options.maxTxs || this.bytes > this.options.maxBytes) {
      const victim = this.eviction.cheapest(baseFee);
      if (victim === undefined || effectiveTip(victim.tx, baseFee) >= tip) {
        // Each evicted tx was its sender's last, so putting them back newest first restores the pool.
        for (let i = evicted.length - 1; i >= 0; i--) this.attach(evicted[i]!, undefined);
        if (old) this.attach(old, ptx);
        else this.detach(ptx);
        throw poolFull(this.options.maxTxs);
      }
      this.detach(victim);
      evicted.push(victim);
    }
    if (evicted.length > 0) {
      this.metrics?.evicted.inc(evicted.length);
      this.log.debug({ evicted: evicted.length, size: this.size, bytes: this.bytes }, "evicted txs to make room");
    }
  }

  /** Adds `ptx`, in place of `old` when given; returns the txs that became pending. */
  private attach(ptx: PoolTx, old: PoolTx | undefined): PoolTx[] {
    const sq = ptx.sender;
    // A sender emptied by eviction is forgotten; putting its tx back brings it back.
    if (sq.size === 0) this.senders.set(sq.key, sq);
    this.byHash.set(ptx.hashKey, ptx);
    this.bytes += ptx.size;
    let promoted: PoolTx[];
    if (old) {
      this.byHash.delete(old.hashKey);
      this.bytes -= old.size;
      sq.replace(old, ptx);
      promoted = sq.isPending(ptx) ? [ptx] : [];
    } else promoted = sq.insert(ptx);
    this.reindex(sq);
    return promoted;
  }

  private detach(ptx: PoolTx): void {
    this.byHash.delete(ptx.hashKey);
    this.bytes -= ptx.size;
    ptx.sender.remove(ptx);
    this.reindex(ptx.sender);
  }

  /** Brings a sender up to its account: drops stale and unpayable txs, promotes; returns how many it dropped. */
  private syncSender(sq: SenderQueue, account: AccountData | undefined, promoted: PoolTx[]): number {
    const dropped = sq.setAccountNonce(account?.nonce ?? 0n);
    for (const p of sq.dropUnpayable(account?.balance ?? 0n)) dropped.push(p);
    for (const p of dropped) {
      this.byHash.delete(p.hashKey);
      this.bytes -= p.size;
    }
    sq.promote(promoted);
    this.reindex(sq);
    return dropped.length;
  }

  /** Updates the pool-wide indexes after a change to one sender: O(log n). */
  private reindex(sq: SenderQueue): void {
    const head = sq.head();
    if (head !== sq.indexedHead) {
      if (sq.indexedHead) this.heads = removeHead(this.heads, sq.indexedHead);
      if (head) this.heads = insertHead(this.heads, head);
      sq.indexedHead = head;
    }
    const last = sq.last();
    const lastQueued = sq.queuedCount > 0;
    if (last !== sq.indexedLast || lastQueued !== sq.indexedLastQueued) {
      if (sq.indexedLast) this.eviction.delete(sq.indexedLast, sq.indexedLastQueued);
      if (last) this.eviction.add(last, lastQueued);
      sq.indexedLast = last;
      sq.indexedLastQueued = lastQueued;
    }
    this.pendingTotal += sq.pendingCount - sq.indexedPending;
    sq.indexedPending = sq.pendingCount;
    if (sq.size === 0 && this.senders.get(sq.key) === sq) this.senders.delete(sq.key);
  }

  private notify(promoted: PoolTx[]): void {
    if (this.listeners.size === 0) return;
    for (const p of promoted) {
      if (this.byHash.get(p.hashKey) !== p) continue;
      for (const listener of this.listeners) {
        try {
          listener(p.tx);
        } catch (e) {
          this.log.warn({ err: e }, "pending tx listener failed");
        }
      }
    }
  }

  private updateGauges(): void {
    if (!this.metrics) return;
    this.metrics.txs.set({ state: "pending" }, this.pendingTotal);
    this.metrics.txs.set({ state: "queued" }, this.size - this.pendingTotal);
  }
}

/** geth's rule: both fee fields must rise, each by at least `bumpPercent`. */
function checkReplacement(old: SignedTx, tx: SignedTx, bumpPercent: number, hashKey: string): void {
  const bump = BigInt(100 + bumpPercent);
  const feeCapFloor = (old.maxFeePerGas * bump) / 100n;
  const tipFloor = (old.maxPriorityFeePerGas * bump) / 100n;
  const raises = tx.maxFeePerGas > old.maxFeePerGas && tx.maxPriorityFeePerGas > old.maxPriorityFeePerGas;
  if (!raises || tx.maxFeePerGas < feeCapFloor || tx.maxPriorityFeePerGas < tipFloor) {
    throw new MempoolError({ code: MempoolErrorCode.REPLACEMENT_UNDERPRICED, hash: hashKey }, "replacement transaction underpriced");
  }
}

function toTx(p: PoolTx): SignedTx {
  return p.tx;
}

function poolFull(limit: number): MempoolError {
  return new MempoolError({ code: MempoolErrorCode.POOL_FULL, limit }, "txpool is full");
}
