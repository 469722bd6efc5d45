import { randomBytes } from "node:crypto";
import { bytesToBigInt, bytesToHex, type JsonRpcServer, p, RpcError, toQuantity } from "@zerog/core";
import type { CommittedBlock } from "../execution/engine.js";
import type { SignedTx } from "../tx/transaction.js";
import type { RPCContext } from "./context.js";
import { formatTx } from "./format.js";
import { collectBlockLogs, type LogFilter, LogMatcher, logFilterSchema, queryLogs } from "./logQuery.js";

/** Most changes a filter buffers between polls; older ones are dropped. */
export const MAX_FILTER_CHANGES = 10_000;
/** Most filters installed at once, over all clients. */
export const MAX_FILTERS = 1_000;

type Filter =
  | { kind: "logs"; lastPoll: number; changes: unknown[]; filter: LogFilter; matcher: LogMatcher; from: bigint | null; to: bigint | null }
  | { kind: "blocks"; lastPoll: number; changes: unknown[] }
  | { kind: "pending"; lastPoll: number; changes: unknown[]; fullTx: boolean };

/** Random 16-byte ids as hex quantities, the shape geth's `rpc.NewID` gives filters and subscriptions. */
export function newRPCId(): string {
  return toQuantity(bytesToBigInt(randomBytes(16)));
}

/**
 * The numeric bounds a live filter applies to blocks committed after it was installed: a number
 * bounds, `earliest` is 0, and the other tags follow the head (no bound).
 */
export function liveBounds(f: LogFilter): { from: bigint | null; to: bigint | null } {
  const bound = (t: LogFilter["fromBlock"]) => (typeof t === "bigint" ? t : t === "earliest" ? 0n : null);
  return { from: bound(f.fromBlock), to: bound(f.toBlock) };
}

const notFound = () => RpcError.fromCode(-32000, "filter not found");

/**
 * Polling filters (eth_newFilter and friends): fed by commits and the pool, polled with
 * eth_getFilterChanges, removed after `filterTimeoutMs` without a poll. `now` is injected for tests.
 */
export class FilterRegistry {
  private readonly ctx: RPCContext;
  private readonly now: () => number;
  private readonly filters = new Map<string, Filter>();

  constructor(ctx: RPCContext, now: () => number = Date.now) {
    this.ctx = ctx;
    this.now = now;
  }

  get size(): number {
    return this.filters.size;
  }

  newLogFilter(filter: LogFilter): string {
    const { from, to } = liveBounds(filter);
    return this.install({ kind: "logs", lastPoll: 0, changes: [], filter, matcher: new LogMatcher(filter), from, to });
  }

  newBlockFilter(): string {
    return this.install({ kind: "blocks", lastPoll: 0, changes: [] });
  }

  newPendingTxFilter(fullTx: boolean): string {
    return this.install({ kind: "pending", lastPoll: 0, changes: [], fullTx });
  }

  /** What arrived since the last poll (logs, block hashes or pending transactions). */
  changes(id: string): unknown[] {
    const f = this.touch(id);
    const out = f.changes;
    f.changes = [];
    return out;
  }

  /** Every log the filter matches now (log filters only). */
  async logs(id: string): Promise<unknown[]> {
    const f = this.touch(id);
    if (f.kind !== "logs") throw notFound();
    return queryLogs(this.ctx, f.filter, { clampToHead: true });
  }

  uninstall(id: string): boolean {
    return this.filters.delete(id.toLowerCase());
  }

  /** Removes filters not polled for `filterTimeoutMs`. */
  expire(): void {
    const cutoff = this.now() - this.ctx.opts.filterTimeoutMs;
    for (const [id, f] of this.filters) if (f.lastPoll <= cutoff) this.filters.delete(id);
  }

  onCommit(c: CommittedBlock): void {
    if (this.filters.size === 0) return;
    const header = c.block.header;
    const block = { hash: c.block.hash, number: header.number, timestamp: header.timestamp, txHashes: c.block.txs.map((t) => t.hash) };
    const blockHash = bytesToHex(c.block.hash);
    for (const f of this.filters.values()) {
      if (f.kind === "blocks") push(f, [blockHash]);
      if (f.kind !== "logs") continue;
      if ((f.from !== null && header.number < f.from) || (f.to !== null && header.number > f.to)) continue;
      if (f.filter.blockHash !== undefined && f.filter.blockHash !== blockHash) continue;
      if (!f.matcher.bloomMayMatch(header.logsBloom)) continue;
      const logs: unknown[] = [];
      collectBlockLogs(block, c.receipts, f.matcher, logs);
      push(f, logs);
    }
  }

  onPendingTx(tx: SignedTx): void {
    let hash: string | undefined; // formatted only when someone listens: this runs for every admitted transaction
    let full: unknown;
    for (const f of this.filters.values()) {
      if (f.kind !== "pending") continue;
      if (f.fullTx && full === undefined) full = formatTx(tx, null);
      hash ??= bytesToHex(tx.hash);
      push(f, [f.fullTx ? full : hash]);
    }
  }

  private install(f: Filter): string {
    if (this.filters.size >= MAX_FILTERS)
      throw RpcError.fromCode(-32000, `too many filters installed (limit ${MAX_FILTERS}); remove unused ones with eth_uninstallFilter`);
    f.lastPoll = this.now();
    let id = newRPCId();
    while (this.filters.has(id)) id = newRPCId();
    this.filters.set(id, f);
    return id;
  }

  private touch(id: string): Filter {
    const f = this.filters.get(id.toLowerCase());
    if (!f) throw notFound();
    f.lastPoll = this.now();
    return f;
  }
}

function push(f: Filter, items: unknown[]): void {
  if (items.length >= MAX_FILTER_CHANGES) {
    f.changes = items.slice(items.length - MAX_FILTER_CHANGES);
    return;
  }
  for (const item of items) f.changes.push(item);
  if (f.changes.length > MAX_FILTER_CHANGES) f.changes.splice(0, f.changes.length - MAX_FILTER_CHANGES);
}

/** eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter, eth_getFilterChanges/Logs, eth_uninstallFilter. */
export function registerFilterMethods(server: JsonRpcServer, ctx: RPCContext): () => void {
  const registry = new FilterRegistry(ctx);
  const id = () => p.string({ maxLength: 66 });
  server.register("eth_newFilter", { params: [logFilterSchema()], handler: ([f]) => registry.newLogFilter(f) });
  server.register("eth_newBlockFilter", { params: [], handler: () => registry.newBlockFilter() });
  server.register("eth_newPendingTransactionFilter", {
    params: [p.optional(p.bool())],
    handler: ([fullTx]) => registry.newPendingTxFilter(fullTx ?? false),
  });
  server.register("eth_getFilterChanges", { params: [id()], handler: ([i]) => registry.changes(i) });
  server.register("eth_getFilterLogs", { params: [id()], handler: ([i]) => registry.logs(i) });
  server.register("eth_uninstallFilter", { params: [id()], handler: ([i]) => registry.uninstall(i) });

  const offCommit = ctx.execution.onCommit((c) => registry.onCommit(c));
  const offPending = ctx.deps.pool.onAdded((tx) => registry.onPendingTx(tx));
  const sweepMs = Math.max(100, Math.min(ctx.opts.filterTimeoutMs, 60_000));
  const timer = setInterval(() => registry.expire(), sweepMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    offCommit();
    offPending();
  };
}
