import { isHash32 } from "./hex.js";
import { keccak256Into } from "./keccak.js";
import { badInput } from "./merkleError.js";

/**
 * Reduces `count` 32-byte hashes packed in `buf` to their promotion-tree root, in place: each level hashes the
 * adjacent pairs (64 contiguous bytes, one hasher update) and writes the parent over the left child; an odd last node
 * is promoted unchanged. Returns a copy of the root; `buf` is scratch afterwards.
 */
export function reduceInPlace(buf: Uint8Array, count: number): Uint8Array {
  if (count < 1) throw badInput("a promotion tree needs at least one leaf");
  let n = count;
  while (n > 1) {
    const pairs = n >>> 1;
    for (let i = 0; i < pairs; i++) keccak256Into(buf.subarray(i * 64, i * 64 + 64), buf, i * 32);
    if (n & 1) buf.copyWithin(pairs * 32, (n - 1) * 32, n * 32);
    n = pairs + (n & 1);
  }
  return buf.slice(0, 32);
}

/** Root of the file-tree convention: pair adjacent nodes level by level, promote an unpaired last node (§1.3). */
export function promotionRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw badInput("a promotion tree needs at least one leaf");
  const buf = new Uint8Array(leaves.length * 32);
  leaves.forEach((leaf, i) => {
    if (!isHash32(leaf)) throw badInput(`leaf ${i} is not a 32-byte hash`);
    buf.set(leaf, i * 32);
  });
  return reduceInPlace(buf, leaves.length);
}
