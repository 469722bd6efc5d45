import { keccak256, keccak256Parts } from "@zerog/core";

const ZERO = new Uint8Array(32);

/**
 * A blob's identity on chain: the root of a binary keccak256 tree whose leaves are `keccak256(commitment)` of its rows
 * in order; a node without a sibling on its level is paired with 32 zero bytes (one row: the root is its leaf). Leaves
 * hash 48 bytes and inner nodes 64, so no inner node can pass for a leaf.
 */
export function dataRootOf(commitments: readonly Uint8Array[]): Uint8Array {
  if (commitments.length === 0) return ZERO;
  let level = commitments.map((c) => keccak256(c));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(keccak256Parts([level[i]!, level[i + 1] ?? ZERO]));
    level = next;
  }
  return level[0]!;
}
