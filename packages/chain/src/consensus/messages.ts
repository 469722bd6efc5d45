import { bytesToBigInt, bytesToNumber, type RLPDecoded, rlpDecode, rlpEncode } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";

/**
 * Wire messages of the consensus reactor besides signed votes and proposals (`signing.ts`):
 * block parts, transaction batches, status, and block-sync requests and responses. RLP lists with
 * a kind tag; decoding is strict and throws `CHAIN_INVALID_BLOCK`-coded errors on malformed input.
 */

/** Blocks travel in parts of at most this size. */
export const BLOCK_PART_BYTES = 64 * 1024;

export interface BlockPart {
  height: bigint;
  round: number;
  blockHash: Uint8Array;
  index: number;
  total: number;
  data: Uint8Array;
}

export interface Status {
  /** The sender's latest committed (durable) height. */
  height: bigint;
  /** Its consensus height and round (what it is working on). */
  consensusHeight: bigint;
  round: number;
}

/** Messages of the sync-request channel: block requests, and status announcements. */
export type SyncRequest =
  | { kind: "range"; from: bigint; count: number }
  | { kind: "block"; blockHash: Uint8Array }
  | { kind: "status"; status: Status };

/** Committed blocks with their commits (encoded block, encoded commit), ascending. */
export interface SyncResponse {
  blocks: { block: Uint8Array; commit: Uint8Array }[];
}

const MAX_PARTS = 1024;

export function encodeBlockPart(p: BlockPart): Uint8Array {
  return rlpEncode([p.height, p.round, p.blockHash, p.index, p.total, p.data]);
}

export function decodeBlockPart(b: Uint8Array): BlockPart {
  const f = list(b, 6, "block part");
  const p: BlockPart = {
    height: big(f[0]),
    round: num(f[1]),
    blockHash: bytes(f[2], 32),
    index: num(f[3]),
    total: num(f[4]),
    data: bytes(f[5]),
  };
  if (p.total < 1 || p.total > MAX_PARTS || p.index >= p.total || p.data.length > BLOCK_PART_BYTES) bad("block part out of range");
  return p;
}

/** Splits an encoded block into parts. */
export function splitBlock(height: bigint, round: number, blockHash: Uint8Array, encoded: Uint8Array): BlockPart[] {
  const total = Math.max(1, Math.ceil(encoded.length / BLOCK_PART_BYTES));
  return Array.from({ length: total }, (_, index) => ({
    height,
    round,
    blockHash,
    index,
    total,
    data: encoded.subarray(index * BLOCK_PART_BYTES, (index + 1) * BLOCK_PART_BYTES),
  }));
}

/**
 * A proposer's choice of transactions for (height, round), sent before it seals the block (computes the state,
 * transactions and receipts roots). Peers that hold every listed transaction build the same block themselves while
 * the proposer seals, so the proposal, when it arrives, is one they already executed. Unsigned: a hint that can only
 * make a node execute something it later finds it did not need (see `ConsensusDriver.onPreview`).
 */
export interface BlockPreview {
  height: bigint;
  round: number;
  /** The block's timestamp (Unix seconds) and coinbase, as the proposer will put them in the header. */
  timestamp: bigint;
  coinbase: Uint8Array;
  /** The transactions in block order. */
  txHashes: Uint8Array[];
}

/** Most transaction hashes a preview may list (a 60M-gas block holds at most 2,857 transfers). */
export const MAX_PREVIEW_TXS = 20_000;

export function encodeBlockPreview(p: BlockPreview): Uint8Array {
  const hashes = new Uint8Array(p.txHashes.length * 32);
  for (const [i, h] of p.txHashes.entries()) hashes.set(h, i * 32);
  return rlpEncode([p.height, p.round, p.timestamp, p.coinbase, hashes]);
}

export function decodeBlockPreview(b: Uint8Array): BlockPreview {
  const f = list(b, 5, "block preview");
  const hashes = bytes(f[4]);
  if (hashes.length % 32 !== 0 || hashes.length / 32 > MAX_PREVIEW_TXS) bad("block preview hashes out of range");
  const txHashes: Uint8Array[] = new Array(hashes.length / 32);
  for (let i = 0; i < txHashes.length; i++) txHashes[i] = hashes.subarray(i * 32, i * 32 + 32);
  return { height: big(f[0]), round: num(f[1]), timestamp: big(f[2]), coinbase: bytes(f[3], 20), txHashes };
}

export function encodeTxBatch(raws: readonly Uint8Array[]): Uint8Array {
  return rlpEncode(raws as Uint8Array[]);
}

export function decodeTxBatch(b: Uint8Array): Uint8Array[] {
  const d = decode(b, "tx batch");
  if (!Array.isArray(d) || d.length > 10_000 || d.some((x) => Array.isArray(x))) bad("tx batch must be a list of byte strings");
  return d as Uint8Array[];
}

export function encodeStatus(s: Status): Uint8Array {
  return rlpEncode([s.height, s.consensusHeight, s.round]);
}

export function decodeStatus(b: Uint8Array): Status {
  const f = list(b, 3, "status");
  return { height: big(f[0]), consensusHeight: big(f[1]), round: num(f[2]) };
}

export function encodeSyncRequest(r: SyncRequest): Uint8Array {
  if (r.kind === "range") return rlpEncode([0, r.from, r.count]);
  if (r.kind === "block") return rlpEncode([1, r.blockHash]);
  return rlpEncode([2, r.status.height, r.status.consensusHeight, r.status.round]);
}

export function decodeSyncRequest(b: Uint8Array): SyncRequest {
  const d = decode(b, "sync request");
  if (!Array.isArray(d) || d.length < 2) bad("sync request must be a list");
  const kind = num(d[0]);
  if (kind === 0 && d.length === 3) {
    const count = num(d[2]);
    if (count < 1 || count > 1_000) bad("sync request count out of range");
    return { kind: "range", from: big(d[1]), count };
  }
  if (kind === 1 && d.length === 2) return { kind: "block", blockHash: bytes(d[1], 32) };
  if (kind === 2 && d.length === 4) return { kind: "status", status: { height: big(d[1]), consensusHeight: big(d[2]), round: num(d[3]) } };
  return bad("unknown sync request");
}

export function encodeSyncResponse(r: SyncResponse): Uint8Array {
  return rlpEncode(r.blocks.map((x) => [x.block, x.commit]));
}

export function decodeSyncResponse(b: Uint8Array): SyncResponse {
  const d = decode(b, "sync response");
  if (!Array.isArray(d) || d.length > 1_000) bad("sync response must be a list of at most 1000 blocks");
  return {
    blocks: d.map((x) => {
      if (!Array.isArray(x) || x.length !== 2 || Array.isArray(x[0]) || Array.isArray(x[1])) bad("sync entry must be [block, commit]");
      return { block: x[0] as Uint8Array, commit: x[1] as Uint8Array };
    }),
  };
}

function decode(b: Uint8Array, what: string): RLPDecoded {
  try {
    return rlpDecode(b);
  } catch {
    return bad(`${what} is not RLP`);
  }
}

function list(b: Uint8Array, n: number, what: string): RLPDecoded[] {
  const d = decode(b, what);
  if (!Array.isArray(d) || d.length !== n) bad(`${what} must be a list of ${n}`);
  return d as RLPDecoded[];
}

function bytes(x: RLPDecoded | undefined, len?: number): Uint8Array {
  if (x === undefined || Array.isArray(x) || (len !== undefined && x.length !== len)) bad("field has the wrong shape");
  return x as Uint8Array;
}

function big(x: RLPDecoded | undefined): bigint {
  const b = bytes(x);
  if (b.length > 8 || (b.length > 0 && b[0] === 0)) bad("integer out of range");
  return bytesToBigInt(b);
}

function num(x: RLPDecoded | undefined): number {
  const b = bytes(x);
  if (b.length > 4 || (b.length > 0 && b[0] === 0)) bad("integer out of range");
  return bytesToNumber(b);
}

function bad(reason: string): never {
  throw new ChainError({ code: ChainErrorCode.INVALID_BLOCK, height: -1n, reason }, `invalid consensus message: ${reason}`);
}
