import { keccak256, type RLPDecoded, rlpDecode, rlpEncode } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";
import type { Block } from "../execution/engine.js";
import { type ParsedTx, parseTx } from "../tx/transaction.js";
import { decodeHeader, encodeHeader } from "./header.js";
import { decodeMisbehavior, encodeMisbehavior } from "./misbehavior.js";

/** A block as it travels between nodes: header, raw transactions, misbehaviour. */
export function encodeBlock(block: Pick<Block, "header" | "misbehavior"> & { txs: readonly { raw: Uint8Array }[] }): Uint8Array {
  return rlpEncode([encodeHeader(block.header), block.txs.map((t) => t.raw), encodeMisbehavior(block.misbehavior ?? [])]);
}

/** A decoded block whose transactions still need their senders (`SenderRecovery`). */
export interface DecodedBlock {
  block: Omit<Block, "txs">;
  txs: ParsedTx[];
}

/** A decoded block whose transactions are still raw bytes, each with its hash (so known ones need no parsing). */
export interface RawDecodedBlock {
  block: Omit<Block, "txs">;
  txs: { raw: Uint8Array; hash: Uint8Array }[];
}

/** Strict decoding of untrusted bytes; any malformed part is a `CHAIN_INVALID_BLOCK` error. */
export function decodeBlock(bytes: Uint8Array): DecodedBlock {
  const d = decodeBlockRaw(bytes);
  try {
    return { block: d.block, txs: d.txs.map((t) => parseTx(t.raw)) };
  } catch (e) {
    throw invalid(e);
  }
}

/**
 * Decodes the header and misbehaviour and splits out the transactions without parsing them: a
 * transaction whose hash a node already holds (its mempool) was parsed and checked when it arrived
 * with the same bytes, so only the unknown ones need `parseTx`.
 */
export function decodeBlockRaw(bytes: Uint8Array): RawDecodedBlock {
  try {
    const d = rlpDecode(bytes);
    if (!Array.isArray(d) || d.length !== 3) throw new Error("block must be [header, txs, misbehavior]");
    const [headerRlp, txs, mis] = d as [RLPDecoded, RLPDecoded, RLPDecoded];
    if (Array.isArray(headerRlp) || !Array.isArray(txs) || Array.isArray(mis)) throw new Error("block fields have the wrong shape");
    const header = decodeHeader(headerRlp);
    const raws = txs.map((t) => {
      if (Array.isArray(t)) throw new Error("transaction must be bytes");
      return { raw: t, hash: keccak256(t) };
    });
    const misbehavior = decodeMisbehavior(mis);
    const block: Omit<Block, "txs"> = { header, hash: keccak256(headerRlp) };
    if (misbehavior.length > 0) block.misbehavior = misbehavior;
    return { block, txs: raws };
  } catch (e) {
    throw invalid(e);
  }
}

function invalid(e: unknown): ChainError {
  return new ChainError(
    { code: ChainErrorCode.INVALID_BLOCK, height: -1n, reason: (e as Error).message },
    `undecodable block: ${(e as Error).message}`,
  );
}
