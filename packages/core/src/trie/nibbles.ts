export function bytesToNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 15;
  }
  return out;
}

export function nibblesToBytes(nibbles: Uint8Array): Uint8Array {
  const out = new Uint8Array(nibbles.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nibbles[2 * i]! << 4) | nibbles[2 * i + 1]!;
  return out;
}

/** Hex-prefix encoding of a nibble path (Yellow Paper appendix C). */
export function encodeHexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length & 1;
  const out = new Uint8Array((path.length >> 1) + 1);
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = 0;
  if (odd) {
    out[0] |= path[0]!;
    i = 1;
  }
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

export function decodeHexPrefix(enc: Uint8Array): { path: Uint8Array; leaf: boolean } | undefined {
  if (enc.length === 0) return undefined;
  const flag = enc[0]! >> 4;
  if (flag > 3) return undefined;
  const odd = flag & 1;
  if (!odd && (enc[0]! & 15) !== 0) return undefined;
  const nibbles = bytesToNibbles(enc.subarray(1));
  const path = new Uint8Array(nibbles.length + odd);
  if (odd) path[0] = enc[0]! & 15;
  path.set(nibbles, odd);
  return { path, leaf: flag >= 2 };
}

export function commonPrefixLength(a: Uint8Array, aOff: number, b: Uint8Array, bOff = 0): number {
  let i = 0;
  while (aOff + i < a.length && bOff + i < b.length && a[aOff + i] === b[bOff + i]) i++;
  return i;
}
