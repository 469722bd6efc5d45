import { CoreError, CoreErrorCode } from "./errors.js";

export type Hex = `0x${string}`;

const HEX_CHARS = "0123456789abcdef";
const BYTE_TO_HEX: string[] = [];
for (let i = 0; i < 256; i++) BYTE_TO_HEX.push(HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!);

// Node's native hex encoder, called on any Uint8Array without wrapping it in a Buffer first. Its result is one flat
// string; a JS loop of `+=` builds a chain of cons strings that V8 flattens again when the string is hashed as a Map
// key. Measured on 200,000 random 20-byte keys (Node 20, the 2-core EPYC): 150 vs 354 ns to make an unprefixed key,
// 445 vs 697 ns to make it and look it up in a Map of 50,000. Absent outside Node: the loop below is the fallback.
const nativeHexSlice = (globalThis as { Buffer?: { prototype: { hexSlice?: unknown } } }).Buffer?.prototype.hexSlice as
  | ((this: Uint8Array, start: number, end: number) => string)
  | undefined;

/** Lower-case hex without a prefix: the form Map keys of bytes use (`bytesToHex` adds "0x"). */
export function bytesToHexKey(bytes: Uint8Array): string {
  if (nativeHexSlice !== undefined) return nativeHexSlice.call(bytes, 0, bytes.length);
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_HEX[bytes[i]!];
  return s;
}

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHexKey(bytes)}`;
}

export function isHex(value: unknown, opts: { strict?: boolean } = {}): value is Hex {
  if (typeof value !== "string" || !value.startsWith("0x")) return false;
  return opts.strict === false ? /^0x[0-9a-fA-F]*$/.test(value) : /^0x([0-9a-fA-F]{2})*$/.test(value);
}

/** Decodes a 0x-prefixed, even-length hex string; anything else is a `CORE_INVALID_HEX` error. */
export function hexToBytes(hex: string): Uint8Array {
  if (!isHex(hex)) throw new CoreError({ code: CoreErrorCode.INVALID_HEX, value: hex.slice(0, 80) }, `invalid hex: ${hex.slice(0, 80)}`);
  const buf = Buffer.from(hex.slice(2), "hex");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

export function concatBytes(...arrays: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const a of arrays) len += a.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

export function equalsBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Big-endian minimal encoding (zero is the empty array), as RLP wants. */
export function bigIntToBytes(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array(0);
  let hex = n.toString(16);
  if (hex.length & 1) hex = `0${hex}`;
  const buf = Buffer.from(hex, "hex");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Big-endian, left-padded to `length` bytes. */
export function bigIntToPaddedBytes(n: bigint, length: number): Uint8Array {
  const raw = bigIntToBytes(n);
  if (raw.length > length) throw new CoreError({ code: CoreErrorCode.INVALID_LENGTH, expected: length, actual: raw.length });
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  const n = bytes.length;
  if (n === 0) return 0n;
  if (n <= 6) {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + bytes[i]!;
    return BigInt(v);
  }
  // The leading n mod 8 bytes, then 64-bit words: 0.2 µs for 32 bytes against 0.57 µs through a hex
  // string, and no string garbage (signatures and balances are parsed per transaction).
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  let i = n & 7;
  let v: bigint;
  if (i === 7) {
    // 56 bits do not fit a double exactly: 3 bytes, then 4.
    v = (BigInt((bytes[0]! << 16) | (bytes[1]! << 8) | bytes[2]!) << 32n) | BigInt(view.getUint32(3));
  } else {
    let head = 0;
    for (let k = 0; k < i; k++) head = head * 256 + bytes[k]!;
    v = BigInt(head);
  }
  for (; i < n; i += 8) v = (v << 64n) | view.getBigUint64(i);
  return v;
}

export function bytesToNumber(bytes: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < bytes.length; i++) v = v * 256 + bytes[i]!;
  return v;
}

export function numberToBytes(n: number): Uint8Array {
  return bigIntToBytes(BigInt(n));
}

/** Quantity encoding of the Ethereum JSON-RPC: no leading zeros, `0x0` for zero. */
export function toQuantity(n: bigint | number): Hex {
  return `0x${n.toString(16)}`;
}

export function utf8ToBytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function bytesToUtf8(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

export function padLeft(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length >= length) return bytes;
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}
