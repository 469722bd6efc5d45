import { RLP } from "@ethereumjs/rlp";
import { CoreError, CoreErrorCode } from "./errors.js";
import { headerLength, stringItemLength, writeHeader, writeString } from "./trie/rlpWriter.js";

export type RLPInput = Uint8Array | bigint | number | string | null | undefined | readonly RLPInput[];
export type RLPDecoded = Uint8Array | RLPDecoded[];

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/**
 * RLP encoding, byte for byte what `@ethereumjs/rlp` produces for the same input (numbers and
 * bigints big-endian without leading zeros, `0x` strings as hex, other strings as UTF-8, null and
 * undefined as empty bytes), written into one buffer: a first pass measures the items, the second
 * writes them. The generic encoder allocates and copies once per item and level, and turns every
 * number into a hex string first; this was 14 KB of garbage per transfer in block execution.
 */
export function rlpEncode(input: RLPInput): Uint8Array {
  // Pre-order items: a number is a list's payload length, a Uint8Array a string's bytes.
  const items: (number | Uint8Array)[] = [];
  const out = new Uint8Array(measure(input, items));
  let pos = 0;
  for (const it of items) {
    pos = typeof it === "number" ? writeHeader(out, pos, 0xc0, it) : writeString(out, pos, it);
  }
  return out;
}

function measure(v: RLPInput, items: (number | Uint8Array)[]): number {
  if (Array.isArray(v)) {
    const at = items.length;
    items.push(0);
    let payload = 0;
    for (const x of v as readonly RLPInput[]) payload += measure(x, items);
    items[at] = payload;
    return headerLength(payload) + payload;
  }
  const b = toBytes(v as Exclude<RLPInput, readonly RLPInput[]>);
  items.push(b);
  return stringItemLength(b);
}

function byteLength(n: number): number {
  let l = 0;
  for (let x = n; x > 0; x = Math.floor(x / 256)) l++;
  return l;
}

/** The RLP header of a list whose payload is `len` bytes (to put items already encoded under one list). */
export function rlpListHeader(len: number): Uint8Array {
  const out = new Uint8Array(headerLength(len));
  writeHeader(out, 0, 0xc0, len);
  return out;
}

function toBytes(v: Exclude<RLPInput, readonly RLPInput[]>): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "number") return numberBytes(v);
  if (typeof v === "bigint") {
    if (v < 0n) throw encodeError("negative integer");
    if (v <= 0xffff_ffff_ffffn) return numberBytes(Number(v));
    const hex = v.toString(16);
    return hexBytes(hex.length % 2 ? `0${hex}` : hex);
  }
  if (typeof v === "string") {
    if (v.length >= 2 && v[0] === "0" && v[1] === "x") return hexBytes(v.length % 2 ? `0${v.slice(2)}` : v.slice(2));
    return utf8.encode(v);
  }
  if (v === null || v === undefined) return EMPTY;
  throw encodeError(`unsupported type ${typeof v}`);
}

function numberBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw encodeError(`not an unsigned safe integer: ${n}`);
  if (n === 0) return EMPTY;
  const l = byteLength(n);
  const out = new Uint8Array(l);
  for (let i = l - 1, x = n; i >= 0; i--, x = Math.floor(x / 256)) out[i] = x % 256;
  return out;
}

function hexBytes(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw encodeError(`invalid hex string 0x${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function encodeError(reason: string): CoreError {
  return new CoreError({ code: CoreErrorCode.INVALID_RLP, reason }, `cannot RLP-encode: ${reason}`);
}

/** Decodes one RLP item that must span the whole input; malformed input is `CORE_INVALID_RLP`. */
export function rlpDecode(input: Uint8Array): RLPDecoded {
  try {
    return RLP.decode(input) as RLPDecoded;
  } catch (e) {
    throw new CoreError({ code: CoreErrorCode.INVALID_RLP, reason: (e as Error).message }, `invalid RLP: ${(e as Error).message}`);
  }
}
