import {
  bigIntToBytes,
  bytesToBigInt,
  concatBytes,
  keccak256,
  keccak256Parts,
  privateKeyToAddressBytes,
  type RLPDecoded,
  type RLPInput,
  recoverAddressBytes,
  rlpDecode,
  rlpEncode,
  rlpListHeader,
  SECP256K1_N,
  SECP256K1_N_DIV_2,
  signDigest,
} from "@zerog/core";
import { TxError, TxErrorCode } from "../errors.js";
import { MAX_TX_SIZE_BYTES, MAX_UINT64, MAX_UINT256 } from "../params.js";

export type TxType = 0 | 1 | 2;

export interface AccessListItem {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

/** The fields a sender signs. Legacy and EIP-2930 transactions have one gas price for both fee fields. */
export interface UnsignedTx {
  type: TxType;
  /** null only for pre-EIP-155 legacy transactions (replayable across chains; keyless deployments). */
  chainId: bigint | null;
  nonce: bigint;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gasLimit: bigint;
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
  accessList: AccessListItem[];
}

export interface ParsedTx extends UnsignedTx {
  /** Legacy: the raw v (27/28 or chainId*2+35/36); typed: yParity. */
  v: bigint;
  r: bigint;
  s: bigint;
  /** keccak256 of the bytes the sender signed. */
  signingHash: Uint8Array;
  /** The network encoding (type byte ‖ rlp for typed transactions). */
  raw: Uint8Array;
  hash: Uint8Array;
}

export interface SignedTx extends ParsedTx {
  sender: Uint8Array;
}

/** Decodes and checks the form of a network-encoded transaction; recovering the sender is separate. */
export function parseTx(raw: Uint8Array): ParsedTx {
  if (raw.length > MAX_TX_SIZE_BYTES)
    throw new TxError(
      { code: TxErrorCode.OVERSIZED, size: raw.length, max: MAX_TX_SIZE_BYTES },
      `oversized data: transaction size ${raw.length}, limit ${MAX_TX_SIZE_BYTES}`,
    );
  if (raw.length === 0) throw decodeError("empty transaction");
  const first = raw[0]!;
  if (first >= 0xc0) return parseLegacy(raw);
  if (first === 1 || first === 2) return parseTyped(first, raw);
  throw new TxError({ code: TxErrorCode.UNSUPPORTED_TYPE, txType: first }, `transaction type not supported: ${first}`);
}

function parseLegacy(raw: Uint8Array): ParsedTx {
  const f = decodeList(raw, 9, "legacy");
  const nonce = uint(f[0], "nonce", MAX_UINT64);
  const gasPrice = uint(f[1], "gasPrice");
  const gasLimit = uint(f[2], "gasLimit", MAX_UINT64);
  const to = address(f[3]);
  const value = uint(f[4], "value");
  const data = bytes(f[5], "data");
  const v = uint(f[6], "v");
  const r = uint(f[7], "r");
  const s = uint(f[8], "s");
  let chainId: bigint | null = null;
  if (v !== 27n && v !== 28n) {
    if (v < 37n) throw sigError(`invalid v value ${v}`);
    chainId = (v - 35n) / 2n;
  }
  const base: RLPInput[] = [f[0], f[1], f[2], f[3], f[4], f[5]] as Uint8Array[];
  const signingHash = keccak256(rlpEncode(chainId === null ? base : [...base, chainId, 0, 0]));
  checkSignature(r, s);
  return {
    type: 0,
    chainId,
    nonce,
    maxPriorityFeePerGas: gasPrice,
    maxFeePerGas: gasPrice,
    gasLimit,
    to,
    value,
    data,
    accessList: [],
    v,
    r,
    s,
    signingHash,
    raw,
    hash: keccak256(raw),
  };
}

function parseTyped(type: 1 | 2, raw: Uint8Array): ParsedTx {
  const expected = type === 1 ? 11 : 12;
  const { items, starts, end } = scanList(raw, 1, `type-${type}`);
  if (end !== raw.length) throw decodeError("data after the transaction's list");
  if (items.length !== expected) throw decodeError(`type-${type} transaction must be a list of ${expected} items`);
  const f = items;
  const chainId = uint(f[0], "chainId", MAX_UINT64);
  const nonce = uint(f[1], "nonce", MAX_UINT64);
  let i = 2;
  let maxPriorityFeePerGas: bigint;
  let maxFeePerGas: bigint;
  if (type === 1) {
    maxFeePerGas = maxPriorityFeePerGas = uint(f[i++], "gasPrice");
  } else {
    maxPriorityFeePerGas = uint(f[i++], "maxPriorityFeePerGas");
    maxFeePerGas = uint(f[i++], "maxFeePerGas");
  }
  const gasLimit = uint(f[i++], "gasLimit", MAX_UINT64);
  const to = address(f[i++]);
  const value = uint(f[i++], "value");
  const data = bytes(f[i++], "data").slice();
  const accessList = parseAccessList(f[i++]!);
  const v = uint(f[i++], "yParity");
  const r = uint(f[i++], "r");
  const s = uint(f[i++], "s");
  if (v > 1n) throw sigError(`invalid yParity ${v}`);
  checkSignature(r, s);
  // The signed payload is type ‖ rlp(fields before yParity): those fields' bytes as they are in `raw`, under a new list header.
  const unsigned = raw.subarray(starts[0]!, starts[expected - 3]!);
  const signingHash = keccak256Parts([Uint8Array.of(type), rlpListHeader(unsigned.length), unsigned]);
  return {
    type,
    chainId,
    nonce,
    maxPriorityFeePerGas,
    maxFeePerGas,
    gasLimit,
    to: to === null ? null : to.slice(),
    value,
    data,
    accessList,
    v,
    r,
    s,
    signingHash,
    raw,
    hash: keccak256(raw),
  };
}

/**
 * Strict RLP scan of the list at `raw[at]`: its items as views of `raw` (a nested list is decoded
 * with `rlpDecode`), where each starts, and where the list ends. Rejects what `rlpDecode` rejects:
 * lengths with leading zeros, long forms for short lengths, a single byte below 0x80 with a prefix,
 * and items running past the list.
 */
function scanList(raw: Uint8Array, at: number, what: string): { items: RLPDecoded[]; starts: number[]; end: number } {
  const it = rlpItem(raw, at, raw.length); // the shared `item`: read before the next call
  if (!it.list) throw decodeError(`${what} transaction must be a list`);
  const listEnd = it.end;
  const items: RLPDecoded[] = [];
  const starts: number[] = [];
  for (let p = it.start; p < listEnd; ) {
    rlpItem(raw, p, listEnd);
    starts.push(p);
    if (it.list) {
      try {
        items.push(rlpDecode(raw.subarray(p, it.end)));
      } catch (e) {
        throw decodeError((e as Error).message);
      }
    } else items.push(raw.subarray(it.start, it.end));
    p = it.end;
  }
  starts.push(listEnd);
  return { items, starts, end: listEnd };
}

/** `rlpItem`'s answer, reused (parsing runs for every transaction received). */
const item = { list: false, start: 0, end: 0 };

/** The RLP item at `raw[p]` that must end by `limit`: whether it is a list, and its payload's bounds (in `item`). */
function rlpItem(raw: Uint8Array, p: number, limit: number): typeof item {
  if (p >= limit) throw decodeError("unexpected end of data");
  const b = raw[p]!;
  if (b < 0x80) return setItem(false, p, p + 1);
  const list = b >= 0xc0;
  const short = b - (list ? 0xc0 : 0x80);
  let start: number;
  let len: number;
  if (short <= 55) {
    start = p + 1;
    len = short;
    if (!list && len === 1 && (start >= limit || raw[start]! < 0x80)) {
      if (start >= limit) throw decodeError("unexpected end of data");
      throw decodeError("single byte below 0x80 must not have a prefix");
    }
  } else {
    const ll = short - 55;
    if (p + 1 + ll > limit) throw decodeError("unexpected end of data");
    if (raw[p + 1] === 0) throw decodeError("length has leading zeros");
    len = 0;
    for (let k = 0; k < ll; k++) len = len * 256 + raw[p + 1 + k]!;
    if (len < 56) throw decodeError("long length form for a short item");
    start = p + 1 + ll;
  }
  const end = start + len;
  if (end > limit) throw decodeError("item runs past the end of its list");
  return setItem(list, start, end);
}

function setItem(list: boolean, start: number, end: number): typeof item {
  item.list = list;
  item.start = start;
  item.end = end;
  return item;
}

/** Recovers the sender (~16k/s/core with native secp256k1). */
export function recoverSender(tx: ParsedTx): Uint8Array {
  const recovery = tx.type === 0 ? Number(tx.chainId === null ? tx.v - 27n : tx.v - 35n - tx.chainId * 2n) : Number(tx.v);
  const sig = concatBytes(bigIntToPaddedBytes32(tx.r), bigIntToPaddedBytes32(tx.s));
  try {
    return recoverAddressBytes(tx.signingHash, sig, recovery);
  } catch {
    throw sigError("signature does not recover to a public key");
  }
}

export function decodeTx(raw: Uint8Array): SignedTx {
  const parsed = parseTx(raw);
  return Object.assign(parsed, { sender: recoverSender(parsed) });
}

/** The bytes to sign for `tx` (EIP-155 when a legacy tx has a chain id). */
export function txSigningPayload(tx: UnsignedTx): Uint8Array {
  const fields = unsignedFields(tx);
  if (tx.type === 0) return rlpEncode(tx.chainId === null ? fields : [...fields, tx.chainId, 0, 0]);
  return concatBytes(Uint8Array.of(tx.type), rlpEncode(fields));
}

/** Signs and encodes a transaction (tests, the CLI and benchmarks; native secp256k1). */
export function signTx(tx: UnsignedTx, privateKey: Uint8Array): SignedTx {
  const { signature, recovery } = signDigest(keccak256(txSigningPayload(tx)), privateKey);
  const r = bytesToBigInt(signature.subarray(0, 32));
  const s = bytesToBigInt(signature.subarray(32, 64));
  const fields = unsignedFields(tx);
  let raw: Uint8Array;
  if (tx.type === 0) {
    const v = tx.chainId === null ? 27n + BigInt(recovery) : tx.chainId * 2n + 35n + BigInt(recovery);
    raw = rlpEncode([...fields, v, r, s]);
  } else {
    raw = concatBytes(Uint8Array.of(tx.type), rlpEncode([...fields, recovery, r, s]));
  }
  // The signer is known: derive the sender from the key instead of recovering it (4x cheaper).
  return Object.assign(parseTx(raw), { sender: privateKeyToAddressBytes(privateKey) });
}

function unsignedFields(tx: UnsignedTx): RLPInput[] {
  const to = tx.to ?? new Uint8Array(0);
  const al = tx.accessList.map((a) => [a.address, a.storageKeys]);
  if (tx.type === 0) return [tx.nonce, tx.maxFeePerGas, tx.gasLimit, to, tx.value, tx.data];
  if (tx.type === 1) return [tx.chainId, tx.nonce, tx.maxFeePerGas, tx.gasLimit, to, tx.value, tx.data, al];
  return [tx.chainId, tx.nonce, tx.maxPriorityFeePerGas, tx.maxFeePerGas, tx.gasLimit, to, tx.value, tx.data, al];
}

/** What the sender pays per gas given the block's base fee. */
export function effectiveGasPrice(tx: UnsignedTx, baseFee: bigint): bigint {
  const tip = tx.maxFeePerGas - baseFee;
  return baseFee + (tx.maxPriorityFeePerGas < tip ? tx.maxPriorityFeePerGas : tip);
}

/** The part of the gas price that goes to the block producer. */
export function effectiveTip(tx: UnsignedTx, baseFee: bigint): bigint {
  return effectiveGasPrice(tx, baseFee) - baseFee;
}

function decodeList(input: Uint8Array, expected: number, what: string): Uint8Array[] | RLPDecoded[] {
  let d: RLPDecoded;
  try {
    d = rlpDecode(input);
  } catch (e) {
    throw decodeError((e as Error).message);
  }
  if (!Array.isArray(d) || d.length !== expected) throw decodeError(`${what} transaction must be a list of ${expected} items`);
  return d;
}

function uint(item: RLPDecoded | undefined, field: string, max = MAX_UINT256): bigint {
  if (item === undefined || Array.isArray(item)) throw decodeError(`${field} must be a byte string`);
  if (item.length > 0 && item[0] === 0) throw decodeError(`${field} has leading zeros`);
  if (item.length > 32) throw new TxError({ code: TxErrorCode.FIELD_OUT_OF_RANGE, field }, `${field} exceeds 256 bits`);
  const n = bytesToBigInt(item);
  if (n > max) throw new TxError({ code: TxErrorCode.FIELD_OUT_OF_RANGE, field }, `${field} out of range`);
  return n;
}

function bytes(item: RLPDecoded | undefined, field: string): Uint8Array {
  if (item === undefined || Array.isArray(item)) throw decodeError(`${field} must be a byte string`);
  return item;
}

function address(item: RLPDecoded | undefined): Uint8Array | null {
  const b = bytes(item, "to");
  if (b.length === 0) return null;
  if (b.length !== 20) throw decodeError(`to must be 20 bytes, got ${b.length}`);
  return b;
}

function parseAccessList(item: RLPDecoded): AccessListItem[] {
  if (!Array.isArray(item)) throw decodeError("access list must be a list");
  return item.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2) throw decodeError("access list entry must be [address, storageKeys]");
    const [addr, keys] = entry as [RLPDecoded, RLPDecoded];
    if (Array.isArray(addr) || addr.length !== 20) throw decodeError("access list address must be 20 bytes");
    if (!Array.isArray(keys)) throw decodeError("access list storage keys must be a list");
    const storageKeys = keys.map((k) => {
      if (Array.isArray(k) || k.length !== 32) throw decodeError("access list storage key must be 32 bytes");
      return k;
    });
    return { address: addr, storageKeys };
  });
}

function checkSignature(r: bigint, s: bigint): void {
  if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) throw sigError("r or s out of range");
  // EIP-2: high-s signatures are malleable and invalid since Homestead.
  if (s > SECP256K1_N_DIV_2) throw sigError("s value is in the upper half of the curve order (EIP-2)");
}

function bigIntToPaddedBytes32(n: bigint): Uint8Array {
  const b = bigIntToBytes(n);
  if (b.length === 32) return b;
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

function decodeError(reason: string): TxError {
  return new TxError({ code: TxErrorCode.DECODE, reason }, `transaction could not be decoded: ${reason}`);
}

function sigError(reason: string): TxError {
  return new TxError({ code: TxErrorCode.INVALID_SIGNATURE, reason }, `invalid transaction signature: ${reason}`);
}
