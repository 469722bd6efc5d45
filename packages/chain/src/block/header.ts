import { bytesToBigInt, EMPTY_TRIE_ROOT, hexToBytes, keccak256, type RLPDecoded, rlpDecode, rlpEncode } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";
import { EMPTY_REQUESTS_HASH, EMPTY_UNCLES_HASH } from "../params.js";

/** An Ethereum (Prague) block header; consensus-only fields hold the post-merge constants. */
export interface BlockHeader {
  parentHash: Uint8Array;
  coinbase: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  /** Whole seconds; may equal the parent's (blocks come faster than one a second). */
  timestamp: bigint;
  extraData: Uint8Array;
  /** prevRandao. */
  mixHash: Uint8Array;
  baseFeePerGas: bigint;
}

const OMMERS_HASH = hexToBytes(EMPTY_UNCLES_HASH);
const REQUESTS_HASH = hexToBytes(EMPTY_REQUESTS_HASH);
const ZERO_NONCE = new Uint8Array(8);
const ZERO_32 = new Uint8Array(32);

/** The header's RLP, with the Shanghai/Cancun/Prague fields empty (no withdrawals, blobs or requests). */
export function encodeHeader(h: BlockHeader): Uint8Array {
  return rlpEncode([
    h.parentHash,
    OMMERS_HASH,
    h.coinbase,
    h.stateRoot,
    h.transactionsRoot,
    h.receiptsRoot,
    h.logsBloom,
    0n,
    h.number,
    h.gasLimit,
    h.gasUsed,
    h.timestamp,
    h.extraData,
    h.mixHash,
    ZERO_NONCE,
    h.baseFeePerGas,
    EMPTY_TRIE_ROOT,
    0n,
    0n,
    ZERO_32,
    REQUESTS_HASH,
  ]);
}

export function decodeHeader(enc: Uint8Array): BlockHeader {
  const d = rlpDecode(enc);
  if (!Array.isArray(d) || d.length !== 21 || d.some((x: RLPDecoded) => Array.isArray(x))) {
    throw new ChainError({ code: ChainErrorCode.CORRUPT_DATA, what: "header" }, "header is not a 21-item list");
  }
  const f = d as Uint8Array[];
  return {
    parentHash: f[0]!,
    coinbase: f[2]!,
    stateRoot: f[3]!,
    transactionsRoot: f[4]!,
    receiptsRoot: f[5]!,
    logsBloom: f[6]!,
    number: bytesToBigInt(f[8]!),
    gasLimit: bytesToBigInt(f[9]!),
    gasUsed: bytesToBigInt(f[10]!),
    timestamp: bytesToBigInt(f[11]!),
    extraData: f[12]!,
    mixHash: f[13]!,
    baseFeePerGas: bytesToBigInt(f[15]!),
  };
}

export function headerHash(h: BlockHeader): Uint8Array {
  return keccak256(encodeHeader(h));
}

export const HEADER_CONSTANTS = { ommersHash: OMMERS_HASH, requestsHash: REQUESTS_HASH, nonce: ZERO_NONCE, zero32: ZERO_32 };
