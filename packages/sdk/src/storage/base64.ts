// Segment data travels as standard base64 (with padding). Node's Buffer codec runs at GB/s, so use it when the
// runtime has one; browsers get a table-driven codec (atob/btoa would need a binary string per 256 KiB segment).

interface BufferLike {
  from(data: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: "base64"): string };
  from(data: string, encoding: "base64"): Uint8Array;
}
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const NodeAlloc = (globalThis as { Buffer?: { allocUnsafe(n: number): Uint8Array } }).Buffer;

/** A Node Buffer where there is one (so `writeASCII` copies at memcpy speed), else a Uint8Array. */
export function allocBytes(n: number): Uint8Array {
  return NodeAlloc ? NodeAlloc.allocUnsafe(n) : new Uint8Array(n);
}

interface Latin1Writable {
  write(text: string, offset: number, length: number, encoding: "latin1"): number;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function bytesToBase64(bytes: Uint8Array): string {
  // A view over the same memory: no copy.
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  return encodePortable(bytes);
}

/** Decodes standard base64; returns null on a character outside the alphabet or a bad length. */
export function base64ToBytes(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  if (NodeBuffer) {
    // Buffer skips characters outside the alphabet, so a short result is how it reports them (a regex over
    // every segment cost more than the keccak of it). Segment bytes are proof-checked anyway.
    const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    const b = NodeBuffer.from(text, "base64");
    const eq = text.indexOf("=");
    if (b.byteLength !== (text.length / 4) * 3 - pad || (eq !== -1 && eq < text.length - pad)) return null;
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  return decodePortable(text);
}

export function encodePortable(bytes: Uint8Array): string {
  const parts: string[] = [];
  const STEP = 3 * 4096;
  for (let start = 0; start < bytes.length; start += STEP) {
    const end = Math.min(start + STEP, bytes.length);
    let s = "";
    for (let i = start; i < end; i += 3) {
      const a = bytes[i]!;
      const b = i + 1 < end ? bytes[i + 1]! : 0;
      const c = i + 2 < end ? bytes[i + 2]! : 0;
      s += ALPHABET[a >> 2]! + ALPHABET[((a & 3) << 4) | (b >> 4)]!;
      s += i + 1 < end ? ALPHABET[((b & 15) << 2) | (c >> 6)]! : "=";
      s += i + 2 < end ? ALPHABET[c & 63]! : "=";
    }
    parts.push(s);
  }
  return parts.join("");
}

export function decodePortable(text: string): Uint8Array | null {
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = text[i + 2] === "=" ? 0 : sextet(text, i + 2);
    const d = text[i + 3] === "=" ? 0 : sextet(text, i + 3);
    if (a < 0 || b < 0 || c < 0 || d < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

// Four tables of pre-shifted sextets: one OR per quad, and one test of the BAD bit per span for all its characters.
const BAD = 0x1000000;
const Q0 = new Uint32Array(256).fill(BAD);
const Q1 = new Uint32Array(256).fill(BAD);
const Q2 = new Uint32Array(256).fill(BAD);
const Q3 = new Uint32Array(256).fill(BAD);
for (let i = 0; i < ALPHABET.length; i++) {
  const c = ALPHABET.charCodeAt(i);
  Q0[c] = i << 18;
  Q1[c] = i << 12;
  Q2[c] = i << 6;
  Q3[c] = i;
}
const EQ = 0x3d;

/**
 * Decodes standard padded base64 held as ASCII bytes `buf[start, end)` (a JSON string's contents in a response body)
 * in place: the bytes land at `buf[start, start + n)`, over the text, so a segment costs no allocation and no string.
 * Returns n, or -1 on a bad length, a character outside the standard alphabet (`-_`, escapes and whitespace
 * included) or `=` anywhere but the last one or two places — and then the text is partly overwritten. Where it
 * succeeds the bytes equal `base64ToBytes` of the same text.
 */
export function decodeBase64InPlace(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len < 0 || len % 4 !== 0 || end > buf.length) return -1;
  if (len === 0) return 0;
  const pad = buf[end - 1] !== EQ ? 0 : buf[end - 2] !== EQ ? 1 : 2;
  let bad = 0;
  let o = start;
  const last = end - 4; // the last quad is decoded below, with its padding
  // Each quad is read before its three bytes are written, and writes stay behind reads (o - start = 3/4 (i - start)).
  for (let i = start; i < last; i += 4) {
    const n = Q0[buf[i]!]! | Q1[buf[i + 1]!]! | Q2[buf[i + 2]!]! | Q3[buf[i + 3]!]!;
    bad |= n;
    buf[o] = n >>> 16;
    buf[o + 1] = n >>> 8;
    buf[o + 2] = n;
    o += 3;
  }
  const n = Q0[buf[last]!]! | Q1[buf[last + 1]!]! | (pad === 2 ? 0 : Q2[buf[last + 2]!]!) | (pad === 0 ? Q3[buf[last + 3]!]! : 0);
  bad |= n;
  if (bad & BAD) return -1;
  buf[o] = n >>> 16;
  if (pad < 2) buf[o + 1] = n >>> 8;
  if (pad < 1) buf[o + 2] = n;
  return o + 3 - pad - start;
}

function sextet(text: string, i: number): number {
  return DECODE[text.charCodeAt(i)] ?? -1;
}

/** Length of the base64 text of `n` bytes (with padding). */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Writes the base64 text of `src` into `out` at `offset` as ASCII bytes; returns the offset after it. */
export function writeBase64(src: Uint8Array, out: Uint8Array, offset: number): number {
  if (NodeBuffer) {
    const text = NodeBuffer.from(src.buffer, src.byteOffset, src.byteLength).toString("base64");
    return writeASCII(text, out, offset);
  }
  const text = encodePortable(src);
  return writeASCII(text, out, offset);
}

/** Writes an ASCII string as bytes (JSON punctuation, hex, digits, base64). */
export function writeASCII(text: string, out: Uint8Array, offset: number): number {
  if ("latin1Write" in out) return offset + (out as unknown as Latin1Writable).write(text, offset, text.length, "latin1");
  for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  return offset + text.length;
}
