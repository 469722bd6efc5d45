import { setImmediate as yieldToLoop } from "node:timers/promises";
import {
  type BlockTag,
  bytesToHex,
  type Hex,
  hexToBytes,
  type JsonRpcServer,
  keccak256,
  ParamError,
  type ParamSchema,
  p,
  RpcError,
} from "@zerog/core";
import { BLOOM_BYTES, type LogTuple } from "../block/bloom.js";
import type { Receipt } from "../block/receipt.js";
import type { RPCContext } from "./context.js";
import { formatLog } from "./format.js";

/** geth's limits on a filter object (eth/filters/api.go): LOG0..LOG4, and OR-lists of at most 1000. */
export const MAX_TOPICS = 4;
export const MAX_SUB_TOPICS = 1000;
export const MAX_ADDRESSES = 1000;
/** Error code public providers use for "query too large" (EIP-1474 "limit exceeded"). */
export const LIMIT_EXCEEDED = -32005;
/** Blocks scanned between yields to the event loop, so a wide query does not stall consensus. */
const YIELD_EVERY = 256;

/** What a log must match: one of `addresses` (none = any), and at each topic position one of its topics (null = any). */
export interface LogCriteria {
  addresses: Uint8Array[];
  topics: (Uint8Array[] | null)[];
}

/** A parsed filter object: criteria plus either a block hash or a range (each end defaulting to latest). */
export interface LogFilter extends LogCriteria {
  blockHash?: Hex;
  fromBlock?: bigint | BlockTag;
  toBlock?: bigint | BlockTag;
}

/** A block as the matcher needs it, from the store or from a commit. */
export interface LogBlock {
  hash: Uint8Array;
  number: bigint;
  timestamp: bigint;
  txHashes: readonly Uint8Array[];
}

function parseAddresses(v: unknown): Uint8Array[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [hexToBytes(within(["address"], () => p.address().parse(v)))];
  if (!Array.isArray(v)) throw new ParamError("invalid addresses in query", ["address"]);
  if (v.length > MAX_ADDRESSES) throw new ParamError(`exceed max addresses (${v.length}, limit ${MAX_ADDRESSES})`, ["address"]);
  return v.map((a, i) => hexToBytes(within(["address", i], () => p.address().parse(a))));
}

function parseTopics(v: unknown): (Uint8Array[] | null)[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ParamError("invalid topic(s)", ["topics"]);
  if (v.length > MAX_TOPICS) throw new ParamError("exceed max topics");
  return v.map((pos, i) => {
    if (pos === null) return null;
    if (typeof pos === "string") return [hexToBytes(within(["topics", i], () => p.hash().parse(pos)))];
    if (!Array.isArray(pos)) throw new ParamError("invalid topic(s)", ["topics", i]);
    if (pos.length > MAX_SUB_TOPICS) throw new ParamError(`exceed max topics (${pos.length} alternatives, limit ${MAX_SUB_TOPICS})`);
    // As in geth: a null alternative, or no alternatives at all, makes the position a wildcard.
    if (pos.length === 0 || pos.includes(null)) return null;
    return pos.map((t, j) => hexToBytes(within(["topics", i, j], () => p.hash().parse(t))));
  });
}

function within<T>(path: (string | number)[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ParamError)) throw e;
    let err = e;
    for (const seg of [...path].reverse()) err = err.within(seg);
    throw err;
  }
}

/** The filter object of eth_getLogs, eth_newFilter and the `logs` subscription, with geth's rules and messages. */
export const logFilterSchema = (): ParamSchema<LogFilter> =>
  p.custom("filter object", (v) => {
    const o = p
      .object(
        { blockHash: p.optional(p.hash()), fromBlock: p.optional(p.blockTag()), toBlock: p.optional(p.blockTag()) },
        { optional: ["blockHash", "fromBlock", "toBlock"] },
      )
      .parse(v);
    const raw = v as Record<string, unknown>;
    const out: LogFilter = { addresses: parseAddresses(raw.address), topics: parseTopics(raw.topics) };
    if (o.blockHash !== undefined) {
      if (o.fromBlock !== undefined || o.toBlock !== undefined)
        throw new ParamError("cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other");
      out.blockHash = o.blockHash;
    }
    if (o.fromBlock !== undefined) out.fromBlock = o.fromBlock;
    if (o.toBlock !== undefined) out.toBlock = o.toBlock;
    if (typeof o.fromBlock === "bigint" && typeof o.toBlock === "bigint" && o.fromBlock > o.toBlock) throw invalidRange();
    return out;
  });

const invalidRange = () => RpcError.invalidParams("invalid block range params");

/** The three bits a value sets in a logs bloom, as (byte index, mask) pairs (same maths as `bloomContains`). */
function bloomBits(value: Uint8Array): [number, number][] {
  const h = keccak256(value);
  const out: [number, number][] = [];
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    out.push([BLOOM_BYTES - 1 - (bit >> 3), 1 << (bit & 7)]);
  }
  return out;
}

/** Criteria compiled for matching many logs: hex sets for membership, precomputed bloom bits. */
export class LogMatcher {
  private readonly addresses: Set<string> | null;
  private readonly topics: (Set<string> | null)[];
  /** Each group must have at least one member in the bloom: the addresses, then each non-wildcard topic position. */
  private readonly bloomGroups: [number, number][][][];

  constructor(c: LogCriteria) {
    this.addresses = c.addresses.length > 0 ? new Set(c.addresses.map(bytesToHex)) : null;
    this.topics = c.topics.map((alts) => (alts && alts.length > 0 ? new Set(alts.map(bytesToHex)) : null));
    const groups = [c.addresses.length > 0 ? c.addresses : null, ...c.topics];
    this.bloomGroups = groups.filter((g): g is Uint8Array[] => g !== null && g.length > 0).map((g) => g.map(bloomBits));
  }

  /** False when no log of a block with this bloom can match (blooms have false positives, never false negatives). */
  bloomMayMatch(bloom: Uint8Array): boolean {
    return this.bloomGroups.every((group) => group.some((bits) => bits.every(([i, mask]) => (bloom[i]! & mask) === mask)));
  }

  matches(log: LogTuple): boolean {
    const [address, topics] = log;
    if (this.addresses && !this.addresses.has(bytesToHex(address))) return false;
    if (this.topics.length > topics.length) return false;
    for (let i = 0; i < this.topics.length; i++) {
      const alts = this.topics[i];
      if (alts && !alts.has(bytesToHex(topics[i]!))) return false;
    }
    return true;
  }
}

/**
 * Appends a block's matching logs to `out` as JSON, with block-wide log indexes; throws the
 * -32005 error once `out` holds more than `maxLogs`.
 */
export function collectBlockLogs(b: LogBlock, receipts: readonly Receipt[], m: LogMatcher, out: unknown[], maxLogs = Infinity): void {
  let logIndex = 0;
  for (const [txIndex, r] of receipts.entries()) {
    for (const log of r.logs) {
      if (m.matches(log)) {
        out.push(
          formatLog(log, {
            blockHash: b.hash,
            blockNumber: b.number,
            txHash: b.txHashes[txIndex]!,
            txIndex,
            logIndex,
            timestamp: b.timestamp,
          }),
        );
        if (out.length > maxLogs)
          throw RpcError.fromCode(LIMIT_EXCEEDED, `query returned more than ${maxLogs} results; narrow the block range`);
      }
      logIndex++;
    }
  }
}

/** Runs a filter over stored blocks. `clampToHead` (filters) cuts the range at the head instead of refusing it. */
export async function queryLogs(ctx: RPCContext, f: LogFilter, opts: { clampToHead?: boolean } = {}): Promise<unknown[]> {
  const m = new LogMatcher(f);
  const out: unknown[] = [];
  const { maxLogs, maxLogBlockRange } = ctx.opts;
  if (f.blockHash !== undefined) {
    const b = ctx.blockByHash(f.blockHash);
    if (!b) throw RpcError.fromCode(-32000, "unknown block");
    if (m.bloomMayMatch(b.header.logsBloom)) collectBlockLogs(toLogBlock(b), receiptsOf(ctx, b.header.number), m, out, maxLogs);
    return out;
  }
  const head = ctx.execution.head.header.number;
  const from = resolve(ctx, f.fromBlock);
  let to = resolve(ctx, f.toBlock);
  if (opts.clampToHead && to > head) to = head;
  if (from > to) {
    if (opts.clampToHead) return out;
    throw invalidRange();
  }
  if (to - from + 1n > BigInt(maxLogBlockRange))
    throw RpcError.fromCode(LIMIT_EXCEEDED, `query exceeds max block range ${maxLogBlockRange}`);
  if (to > head) throw RpcError.invalidParams("block range extends beyond current head block");
  let scanned = 0;
  for (let n = from; n <= to; n++) {
    if (++scanned % YIELD_EVERY === 0) await yieldToLoop();
    const b = ctx.block(n);
    if (!b) break;
    if (m.bloomMayMatch(b.header.logsBloom)) collectBlockLogs(toLogBlock(b), receiptsOf(ctx, n), m, out, maxLogs);
  }
  return out;
}

function resolve(ctx: RPCContext, tag: bigint | BlockTag | undefined): bigint {
  if (typeof tag === "bigint") return tag;
  return (ctx.block(tag ?? "latest") ?? ctx.execution.head).header.number;
}

function toLogBlock(b: { hash: Uint8Array; header: { number: bigint; timestamp: bigint }; txHashes: Uint8Array[] }): LogBlock {
  return { hash: b.hash, number: b.header.number, timestamp: b.header.timestamp, txHashes: b.txHashes };
}

function receiptsOf(ctx: RPCContext, height: bigint): Receipt[] {
  const r = ctx.execution.store.receipts(height);
  if (!r) throw RpcError.fromCode(-32603, `receipts of block ${height} are missing`);
  return r;
}

/** eth_getLogs. */
export function registerLogMethods(server: JsonRpcServer, ctx: RPCContext): void {
  server.register("eth_getLogs", { params: [logFilterSchema()], handler: ([filter]) => queryLogs(ctx, filter) });
}
