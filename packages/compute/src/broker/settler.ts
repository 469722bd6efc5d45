import { bytesToHex, type Hex, type Logger } from "@zerog/core";
import { requestsHashOf, signTeeSettlement } from "../client/chatSignature.js";
import type { InferenceEip712Domain } from "../client/inferenceTypedData.js";
import type { AccountCache } from "./accountCache.js";
import type { BrokerAccount, BrokerChain, SettlementData } from "./brokerChain.js";
import type { StoredBatch, StoredBatchItem, UnsettledEntry, UsageStore, UserUsage } from "./usageStore.js";

export interface SettlementOptions {
  /** A user is settled once their unsettled fees reach this (wei). */
  thresholdWei: bigint;
  /** … or once their oldest unsettled request is this old (keep it well under the ledger's lock time). */
  intervalMs: number;
  /** How often the settler looks for work. */
  checkMs: number;
  /** Settlements per `settleFeesWithTEE` transaction (the contract takes 1..50). */
  maxBatch: number;
  /** How often a sent transaction is polled while the settler waits for it. */
  pollMs: number;
  /** A transaction still not mined after this long is sent again (same bytes). */
  resendAfterMs: number;
  /** A user whose settlement failed on its own, or who can pay nothing, is left alone this long. */
  retryAfterMs: number;
}

export const defaultSettlementOptions: SettlementOptions = {
  thresholdWei: 10n ** 17n,
  intervalMs: 60_000,
  checkMs: 1_000,
  maxBatch: 50,
  pollMs: 250,
  resendAfterMs: 15_000,
  retryAfterMs: 30_000,
};

export interface SettlerDeps {
  store: UsageStore;
  chain: BrokerChain;
  accounts: AccountCache;
  signerKey: Uint8Array;
  provider: Hex;
  domain: InferenceEip712Domain;
  logger: Logger;
  now: () => number;
  onSettled?: (users: number, fee: bigint) => void;
}

export interface SettleSummary {
  /** Transactions mined successfully during the call. */
  batches: number;
  /** Users settled and the fees charged. */
  users: number;
  fee: bigint;
  /** Users still holding unsettled usage after the call. */
  remainingUsers: number;
}

/**
 * Settles unsettled usage with `settleFeesWithTEE`, one batch transaction at a time. A batch is signed, then stored
 * with the usage it covers, then sent; it is done when every covered account's on-chain nonce has reached the nonce
 * signed for it, and only then is that usage dropped (in the same write that drops the batch). After a restart the
 * stored batch is checked the same way and, if not mined, its same bytes are sent again: usage is charged once.
 * The contract is all-or-nothing, so a user is settled only for the prefix of their receipts the balance covers, and
 * a refused batch is retried with each of its users alone, which isolates the one the chain refuses.
 */
export class Settler {
  private readonly options: SettlementOptions;
  private readonly solo = new Set<Hex>();
  private readonly backoff = new Map<Hex, number>();
  private readonly lastNonce = new Map<Hex, bigint>();
  private readonly lastSent = new Map<string, number>();
  private readonly stopping = new AbortController();
  private queue: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private summary: SettleSummary = { batches: 0, users: 0, fee: 0n, remainingUsers: 0 };

  constructor(
    options: Partial<SettlementOptions>,
    private readonly deps: SettlerDeps,
  ) {
    this.options = { ...defaultSettlementOptions, ...options };
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.queue.catch(() => {});
  }

  /**
   * Sends the stored batches again (same bytes) without waiting for them: done at start, before anything else the
   * provider signs could take their transaction nonces.
   */
  async resendStored(): Promise<number> {
    const batches = this.deps.store.batches();
    for (const b of batches) await this.send(b);
    return batches.length;
  }

  /** Settles every user now (threshold and interval ignored), waiting for the transactions; what it did. */
  settleNow(maxRounds = 100): Promise<SettleSummary> {
    return this.exclusive(async () => {
      this.summary = { batches: 0, users: 0, fee: 0n, remainingUsers: 0 };
      for (let i = 0; i < maxRounds && !this.stopping.signal.aborted; i++) {
        const r = await this.round(true);
        if (r === "idle") break;
        if (r === "waiting") await this.idle(this.options.pollMs);
      }
      return { ...this.summary, remainingUsers: [...this.deps.store.users()].filter((u) => u.entries.length > 0).length };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        const r = await this.exclusive(() => this.round(false));
        await this.idle(r === "waiting" ? this.options.pollMs : this.options.checkMs);
      } catch (e) {
        if (this.stopping.signal.aborted) break;
        this.deps.logger.warn({ err: e }, "settlement round failed; retrying");
        await this.idle(this.options.checkMs);
      }
    }
  }

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f, f);
    this.queue = p.catch(() => {});
    return p;
  }

  /** One step: move pending batches on, else start one. "idle": nothing to do; "waiting": a batch is on chain. */
  private async round(force: boolean): Promise<"idle" | "waiting" | "progress"> {
    const pending = this.deps.store.batches();
    if (pending.length > 0) {
      let waiting = false;
      for (const b of pending) if (!(await this.resolve(b))) waiting = true;
      return waiting ? "waiting" : "progress";
    }
    const due = this.dueUsers(force);
    if (due.length === 0) return "idle";
    return (await this.startBatch(due)) ? "waiting" : "progress";
  }

  private dueUsers(force: boolean): UserUsage[] {
    const now = this.deps.now();
    const out: UserUsage[] = [];
    for (const u of this.deps.store.users()) {
      if (u.entries.length === 0) continue;
      if ((this.backoff.get(u.user) ?? 0) > now) continue;
      if (force || u.unsettled >= this.options.thresholdWei || now - u.entries[0]!.createdAt >= this.options.intervalMs) out.push(u);
    }
    // A user whose batch was refused goes alone, first.
    const solo = out.find((u) => this.solo.has(u.user));
    return solo ? [solo] : out.slice(0, this.options.maxBatch);
  }

  /** Signs, stores and sends a batch for `users`; false when none of them could be settled. */
  private async startBatch(users: readonly UserUsage[]): Promise<boolean> {
    const d = this.deps;
    const now = d.now();
    const items: StoredBatchItem[] = [];
    const accounts = await Promise.all(users.map((u) => d.chain.getAccount(u.user)));
    for (const [k, u] of users.entries()) {
      const item = this.settlementFor(u, accounts[k] ?? null, now);
      if (item) items.push(item);
    }
    if (items.length === 0) return false;
    const tx = await d.chain.signSettlement(items.map(toSettlementData(d.provider)));
    const batch: StoredBatch = { id: tx.hash, tx, createdAt: now, sends: 0, items };
    await d.store.saveBatch(batch);
    for (const i of items) this.lastNonce.set(i.user, BigInt(i.nonce));
    d.logger.info(
      { tx: tx.hash, users: items.length, fee: items.reduce((n, i) => n + BigInt(i.totalFee), 0n).toString() },
      "settlement batch signed",
    );
    await this.send(batch);
    return true;
  }

  /** The settlement of the longest prefix of a user's receipts that the balance covers; null when there is none. */
  private settlementFor(u: UserUsage, account: BrokerAccount | null, now: number): StoredBatchItem | null {
    const d = this.deps;
    if (!account) {
      d.logger.warn({ user: u.user, requests: u.entries.length }, "cannot settle: the user has no sub-account any more");
      this.backoff.set(u.user, now + this.options.retryAfterMs);
      return null;
    }
    const prefix: UnsettledEntry[] = [];
    let total = 0n;
    for (const e of u.entries) {
      if (e.batchId !== undefined || total + e.fee > account.balance) break;
      prefix.push(e);
      total += e.fee;
    }
    if (prefix.length === 0) {
      d.logger.warn(
        { user: u.user, balance: account.balance.toString(), unsettled: u.unsettled.toString() },
        "cannot settle: the balance does not cover the oldest receipt",
      );
      this.backoff.set(u.user, now + this.options.retryAfterMs);
      return null;
    }
    if (prefix.length < u.entries.length)
      d.logger.info({ user: u.user, settled: prefix.length, kept: u.entries.length - prefix.length }, "balance short: settling a prefix");
    let nonce = BigInt(Math.floor(now / 1000)) * 10_000_000n;
    if (nonce <= account.nonce) nonce = account.nonce + 1n;
    const last = this.lastNonce.get(u.user);
    if (last !== undefined && nonce <= last) nonce = last + 1n;
    const requestsHash = requestsHashOf(prefix.map((e) => e.receiptDigest));
    const signature = signTeeSettlement(
      { requestsHash, nonce, provider: d.provider, user: u.user, totalFee: total },
      d.domain,
      d.signerKey,
    );
    return {
      user: u.user,
      nonce: nonce.toString(),
      totalFee: total.toString(),
      requestsHash: bytesToHex(requestsHash),
      signature: bytesToHex(signature),
      seqs: prefix.map((e) => e.seq),
    };
  }

  /** Moves a stored batch on; true once it is finished (settled, or refused and released). */
  private async resolve(b: StoredBatch): Promise<boolean> {
    const d = this.deps;
    // Status first, accounts after: a transaction mined in between shows in the accounts.
    const status = await d.chain.status(b.tx);
    const accounts = await Promise.all(b.items.map((i) => d.chain.getAccount(i.user)));
    const reached = new Set<Hex>();
    for (const [k, i] of b.items.entries()) if ((accounts[k]?.nonce ?? -1n) >= BigInt(i.nonce)) reached.add(i.user);
    if (reached.size === b.items.length || status === "success") {
      if (reached.size < b.items.length)
        d.logger.error({ tx: b.tx.hash }, "settlement mined but some nonces are not reached (a lagging node?); counting it settled");
      await this.finish(b, new Set(b.items.map((i) => i.user)));
      return true;
    }
    if (status === "pending" || status === "missing") {
      const last = this.lastSent.get(b.id);
      if (status === "missing" || last === undefined || d.now() - last >= this.options.resendAfterMs) await this.send(b);
      return false;
    }
    // Reverted, or its sender nonce went to another transaction: it will never settle anything more.
    d.logger.warn(
      { tx: b.tx.hash, status, users: b.items.length, settled: reached.size },
      "settlement batch not mined; retrying its users",
    );
    const now = d.now();
    for (const i of b.items) {
      // A replaced transaction says nothing about its users: they go again as they were.
      if (reached.has(i.user) || status === "replaced") continue;
      if (b.items.length > 1) this.solo.add(i.user);
      else {
        this.solo.delete(i.user);
        this.backoff.set(i.user, now + this.options.retryAfterMs);
      }
    }
    await this.finish(b, reached);
    return true;
  }

  private async finish(b: StoredBatch, settled: ReadonlySet<Hex>): Promise<void> {
    const d = this.deps;
    await d.store.finishBatch(b, settled);
    this.lastSent.delete(b.id);
    let fee = 0n;
    for (const i of b.items) {
      d.accounts.invalidate(i.user);
      if (!settled.has(i.user)) continue;
      this.solo.delete(i.user);
      this.backoff.delete(i.user);
      fee += BigInt(i.totalFee);
    }
    if (settled.size > 0) {
      this.summary.batches++;
      this.summary.users += settled.size;
      this.summary.fee += fee;
      d.onSettled?.(settled.size, fee);
      d.logger.info({ tx: b.tx.hash, users: settled.size, fee: fee.toString() }, "settled");
    }
  }

  private async send(b: StoredBatch): Promise<void> {
    this.lastSent.set(b.id, this.deps.now());
    const signal = this.stopping.signal;
    try {
      // A send that never returns must not hold up stop(): the batch is stored, the next start resends it.
      await Promise.race([
        this.deps.chain.send(b.tx),
        new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
      ]);
    } catch (e) {
      this.deps.logger.warn({ tx: b.tx.hash, err: (e as Error).message }, "settlement send failed; will retry");
    }
  }

  private idle(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

const toSettlementData =
  (provider: Hex) =>
  (i: StoredBatchItem): SettlementData => ({
    user: i.user,
    provider,
    totalFee: BigInt(i.totalFee),
    requestsHash: i.requestsHash,
    nonce: BigInt(i.nonce),
    signature: i.signature,
  });
