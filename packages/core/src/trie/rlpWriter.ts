/**
 * RLP written straight into a buffer sized beforehand: `rlpEncode` writes with it, and trie nodes,
 * where a parent embeds a child's raw encoding (a node under 32 bytes is inlined as an RLP list, not
 * as a byte string), which a generic encoder cannot express, and a branch of 16 hashed children is
 * one allocation rather than 18.
 */

/** Bytes of an RLP header for a payload of `len` bytes. */
export function headerLength(len: number): number {
  let l = 1;
  if (len >= 56) for (let x = len; x > 0; x = Math.floor(x / 256)) l++;
  return l;
}

/** Bytes of `b` encoded as an RLP string. */
export function stringItemLength(b: Uint8Array): number {
  return b.length === 1 && b[0]! < 0x80 ? 1 : headerLength(b.length) + b.length;
}

/** Writes the header of a string (`base` 0x80) or list (0xc0) of `len` bytes; returns the next position. */
export function writeHeader(out: Uint8Array, pos: number, base: number, len: number): number {
  if (len < 56) {
    out[pos] = base + len;
    return pos + 1;
  }
  const l = headerLength(len) - 1;
  out[pos] = base + 55 + l;
  for (let i = l, x = len; i > 0; i--, x = Math.floor(x / 256)) out[pos + i] = x % 256;
  return pos + 1 + l;
}

/** Writes `b` as an RLP string; returns the next position. */
export function writeString(out: Uint8Array, pos: number, b: Uint8Array): number {
  if (b.length === 1 && b[0]! < 0x80) {
    out[pos] = b[0]!;
    return pos + 1;
  }
  const p = writeHeader(out, pos, 0x80, b.length);
  out.set(b, p);
  return p + b.length;
}
