/**
 * Minimal RLP encoder for trie nodes: lets a parent embed a child's raw encoding (a node under 32
 * bytes is inlined as an RLP list, not as a byte string), which a generic encoder cannot express.
 */
export function encodeRLPBytes(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0]! < 0x80) return b;
  return concatWithPrefix(0x80, b.length, [b]);
}

/** Encodes a list whose items are already RLP-encoded. */
export function encodeRLPList(items: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const it of items) len += it.length;
  return concatWithPrefix(0xc0, len, items);
}

function concatWithPrefix(base: number, len: number, parts: readonly Uint8Array[]): Uint8Array {
  let header: Uint8Array;
  if (len < 56) header = Uint8Array.of(base + len);
  else {
    const lenBytes: number[] = [];
    for (let l = len; l > 0; l = Math.floor(l / 256)) lenBytes.unshift(l & 0xff);
    header = Uint8Array.of(base + 55 + lenBytes.length, ...lenBytes);
  }
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  let off = header.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const RLP_EMPTY_BYTES = Uint8Array.of(0x80);
