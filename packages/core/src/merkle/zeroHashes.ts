import { CHUNK_SIZE, MAX_TREE_HEIGHT } from "./constants.js";
import { nextPow2 } from "./fileLayout.js";
import { hashPair, keccak256 } from "./keccak.js";

function buildZeroHashes(): readonly Uint8Array[] {
  const out: Uint8Array[] = [keccak256(new Uint8Array(CHUNK_SIZE))];
  for (let i = 1; i <= MAX_TREE_HEIGHT; i++) out.push(hashPair(out[i - 1]!, out[i - 1]!));
  return Object.freeze(out);
}

/** `ZERO_HASHES[i]`: root of 2^i all-zero chunks. ZERO[0] = keccak(256 zero bytes); i ≤ 64. Do not mutate. */
export const ZERO_HASHES: readonly Uint8Array[] = buildZeroHashes();

/**
 * Promotion-tree root of `count` all-zero chunks. A promotion tree over n leaves is H(left 2^(k-1), rest) with
 * 2^k = nextPow2(n), so this needs O(log n) hashes.
 */
export function zeroPromotionRoot(count: number): Uint8Array {
  if (count < 1) throw new RangeError("zeroPromotionRoot: count must be positive");
  const p = nextPow2(count);
  if (p === count) return ZERO_HASHES[Math.log2(p)]!;
  const half = p / 2;
  return hashPair(ZERO_HASHES[Math.log2(half)]!, zeroPromotionRoot(count - half));
}
