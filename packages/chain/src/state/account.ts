import { bytesToBigInt, EMPTY_TRIE_ROOT, KECCAK256_EMPTY, type RLPDecoded, rlpDecode, rlpEncode } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";

/** An account as the state trie stores it. */
export interface AccountData {
  nonce: bigint;
  balance: bigint;
  storageRoot: Uint8Array;
  codeHash: Uint8Array;
}

export function emptyAccount(): AccountData {
  return { nonce: 0n, balance: 0n, storageRoot: EMPTY_TRIE_ROOT, codeHash: KECCAK256_EMPTY };
}

export function encodeAccount(a: AccountData): Uint8Array {
  return rlpEncode([a.nonce, a.balance, a.storageRoot, a.codeHash]);
}

export function decodeAccount(b: Uint8Array): AccountData {
  const d = rlpDecode(b);
  if (!Array.isArray(d) || d.length !== 4 || d.some((x: RLPDecoded) => Array.isArray(x))) {
    throw new ChainError({ code: ChainErrorCode.CORRUPT_DATA, what: "account" }, "stored account is not a 4-item list");
  }
  const [nonce, balance, storageRoot, codeHash] = d as Uint8Array[];
  return { nonce: bytesToBigInt(nonce!), balance: bytesToBigInt(balance!), storageRoot: storageRoot!, codeHash: codeHash! };
}

/** EIP-161: no nonce, no balance, no code. */
export function isEmptyAccount(a: AccountData): boolean {
  return a.nonce === 0n && a.balance === 0n && Buffer.compare(a.codeHash, KECCAK256_EMPTY) === 0;
}

export function hasCode(a: AccountData): boolean {
  return Buffer.compare(a.codeHash, KECCAK256_EMPTY) !== 0;
}

/** Storage values are kept without leading zeros (zero is the empty array), as RLP stores them. */
export function stripZeros(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  return i === 0 ? v : v.subarray(i);
}
