import { bytesToHex, type JsonRpcServer, ParamError, p, type RpcConnection, type RpcContext, RpcError } from "@zerog/core";
import type { CommittedBlock } from "../execution/engine.js";
import type { SignedTx } from "../tx/transaction.js";
import type { RPCContext } from "./context.js";
import { liveBounds, newRPCId } from "./filters.js";
import { formatBlock, formatTx } from "./format.js";
import { collectBlockLogs, type LogBlock, LogMatcher, logFilterSchema } from "./logQuery.js";

/** Most subscriptions one WebSocket connection may hold. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 1_000;

interface LogSubscription {
  matcher: LogMatcher;
  blockHash: string | undefined;
  from: bigint | null;
  to: bigint | null;
}

interface Subscription {
  id: string;
  conn: RpcConnection;
  kind: "newHeads" | "logs" | "newPendingTransactions";
  fullTx: boolean;
  logs: LogSubscription | null;
  /** Notifications held back until the eth_subscribe response has gone out; null once it has. */
  held: unknown[] | null;
}

/** Fields of a block that geth's newHeads carries: the header, without body or size. */
const NOT_IN_HEADER = ["transactions", "uncles", "withdrawals", "size", "totalDifficulty"];

export function headerJSON(c: CommittedBlock): Record<string, unknown> {
  const b = { hash: c.block.hash, header: c.block.header, txHashes: c.block.txs.map((t) => t.hash), size: c.size };
  const out = formatBlock(b, []);
  for (const k of NOT_IN_HEADER) delete out[k];
  return out;
}

const unsupported = () => RpcError.fromCode(-32601, "notifications not supported");

/**
 * eth_subscribe over WebSocket: one commit listener and one pool listener fan out to every
 * subscription; a connection's subscriptions go when it closes.
 */
export class SubscriptionHub {
  private readonly subs = new Map<string, Subscription>();
  private readonly byConnection = new Map<number, Set<string>>();

  get size(): number {
    return this.subs.size;
  }

  subscribe(conn: RpcConnection, kind: Subscription["kind"], opts: { fullTx?: boolean; logs?: LogSubscription } = {}): string {
    if (conn.closed) throw RpcError.fromCode(-32000, "connection closed");
    let owned = this.byConnection.get(conn.id);
    if (!owned) {
      const set = new Set<string>();
      owned = set;
      this.byConnection.set(conn.id, set);
      conn.onClose(() => {
        for (const id of set) this.subs.delete(id);
        this.byConnection.delete(conn.id);
      });
    }
    if (owned.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION)
      throw RpcError.fromCode(-32000, `too many subscriptions on this connection (limit ${MAX_SUBSCRIPTIONS_PER_CONNECTION})`);
    let id = newRPCId();
    while (this.subs.has(id)) id = newRPCId();
    const sub: Subscription = { id, conn, kind, fullTx: opts.fullTx ?? false, logs: opts.logs ?? null, held: [] };
    this.subs.set(id, sub);
    owned.add(id);
    // The response is sent once the handler's promise settles (microtasks); a commit landing in between
    // must not notify first, or the client drops it as belonging to an unknown subscription.
    setImmediate(() => {
      const held = sub.held ?? [];
      sub.held = null;
      if (this.subs.get(id) === sub) for (const result of held) conn.notify("eth_subscription", { subscription: id, result });
    });
    return id;
  }

  unsubscribe(conn: RpcConnection, id: string): boolean {
    const key = id.toLowerCase();
    const owned = this.byConnection.get(conn.id);
    if (!owned?.delete(key)) return false;
    return this.subs.delete(key);
  }

  onCommit(c: CommittedBlock): void {
    if (this.subs.size === 0) return;
    const header = c.block.header;
    let head: Record<string, unknown> | undefined;
    let block: LogBlock | undefined;
    const blockHash = bytesToHex(c.block.hash);
    for (const s of this.subs.values()) {
      if (s.kind === "newHeads") {
        head ??= headerJSON(c);
        this.notify(s, head);
      }
      const l = s.logs;
      if (!l) continue;
      if ((l.from !== null && header.number < l.from) || (l.to !== null && header.number > l.to)) continue;
      if ((l.blockHash !== undefined && l.blockHash !== blockHash) || !l.matcher.bloomMayMatch(header.logsBloom)) continue;
      block ??= { hash: c.block.hash, number: header.number, timestamp: header.timestamp, txHashes: c.block.txs.map((t) => t.hash) };
      const logs: unknown[] = [];
      collectBlockLogs(block, c.receipts, l.matcher, logs);
      // geth sends each log in its own notification.
      for (const log of logs) this.notify(s, log);
    }
  }

  onPendingTx(tx: SignedTx): void {
    let hash: string | undefined; // formatted only when someone listens: this runs for every admitted transaction
    let full: unknown;
    for (const s of this.subs.values()) {
      if (s.kind !== "newPendingTransactions") continue;
      if (s.fullTx && full === undefined) full = formatTx(tx, null);
      hash ??= bytesToHex(tx.hash);
      this.notify(s, s.fullTx ? full : hash);
    }
  }

  clear(): void {
    this.subs.clear();
    for (const set of this.byConnection.values()) set.clear();
  }

  private notify(s: Subscription, result: unknown): void {
    if (s.held) s.held.push(result);
    else s.conn.notify("eth_subscription", { subscription: s.id, result });
  }
}

function parseLogSubscription(v: unknown): LogSubscription {
  try {
    const f = logFilterSchema().parse(v ?? {});
    return { matcher: new LogMatcher(f), blockHash: f.blockHash, ...liveBounds(f) };
  } catch (e) {
    throw e instanceof ParamError ? RpcError.invalidParams(`invalid argument 1: ${e.message}`) : e;
  }
}

function parseFullTx(v: unknown): boolean {
  try {
    return p.optional(p.bool()).parse(v) ?? false;
  } catch (e) {
    throw e instanceof ParamError ? RpcError.invalidParams(`invalid argument 1: ${e.message}`) : e;
  }
}

/** eth_subscribe / eth_unsubscribe; returns a disposer that detaches the listeners. */
export function registerSubscriptionMethods(server: JsonRpcServer, ctx: RPCContext, hub = new SubscriptionHub()): () => void {
  const connection = (rctx: RpcContext): RpcConnection => {
    if (!rctx.connection) throw unsupported();
    return rctx.connection;
  };
  server.register("eth_subscribe", {
    params: [p.string({ maxLength: 64 }), p.optional(p.any())],
    handler: ([name, arg], rctx) => {
      const conn = connection(rctx);
      switch (name) {
        case "newHeads":
          return hub.subscribe(conn, "newHeads");
        case "logs":
          return hub.subscribe(conn, "logs", { logs: parseLogSubscription(arg) });
        case "newPendingTransactions":
          return hub.subscribe(conn, "newPendingTransactions", { fullTx: parseFullTx(arg) });
        default:
          throw RpcError.fromCode(-32601, `no "${name}" subscription in eth namespace`);
      }
    },
  });
  server.register("eth_unsubscribe", {
    params: [p.string({ maxLength: 66 })],
    handler: ([id], rctx) => hub.unsubscribe(connection(rctx), id),
  });
  const offCommit = ctx.execution.onCommit((c) => hub.onCommit(c));
  const offPending = ctx.deps.pool.onAdded((tx) => hub.onPendingTx(tx));
  return () => {
    offCommit();
    offPending();
    hub.clear();
  };
}
