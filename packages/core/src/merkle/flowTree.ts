import { MAX_TREE_HEIGHT } from "./constants.js";
import { nextPow2 } from "./fileLayout.js";
import { isHash32 } from "./hex.js";
import { hashPair } from "./keccak.js";
import { badInput } from "./merkleError.js";
import { checkHeights, nextAlign, placeSubmission } from "./placeSubmission.js";
import type { SubmissionNode } from "./submissionNode.js";
import { ZERO_HASHES } from "./zeroHashes.js";

interface Subtree {
  height: number;
  root: Uint8Array;
}

/**
 * The flow: one append-only Merkle tree over 256-byte sectors, as kept by the Flow contract (FlowTreeLib) and the
 * storage node. Entry 0 is a dummy leaf whose hash is 0x00…00; a missing right subtree of height i is ZERO[i]
 * (zero-subtree padding, never promotion); the tree has 2^ceil(log2(length)) leaves. Sparse: it keeps only the
 * roots of the complete aligned subtrees that make up [0, length), one per set bit of the length.
 */
export class FlowTree {
  private len = 1;
  /** Left to right, strictly decreasing heights. */
  private readonly frontier: Subtree[] = [{ height: 0, root: new Uint8Array(32) }];

  get length(): number {
    return this.len;
  }

  root(): Uint8Array {
    let i = this.frontier.length - 1;
    let { height: h, root: acc } = this.frontier[i]!;
    for (i--; i >= 0; i--) {
      const left = this.frontier[i]!;
      for (; h < left.height; h++) acc = hashPair(acc, ZERO_HASHES[h]!);
      acc = hashPair(left.root, acc);
      h++;
    }
    for (const top = Math.log2(nextPow2(this.len)); h < top; h++) acc = hashPair(acc, ZERO_HASHES[h]!);
    return acc.slice();
  }

  /**
   * Appends a complete subtree of 2^height sectors at nextAlign(length, height); gap sectors are zero data (leaf hash
   * ZERO[0]). No segment-boundary rule here: that is `appendSubmission`'s. Returns the subtree's start position.
   */
  appendSubtree(height: number, root: Uint8Array): number {
    checkHeights([height]);
    if (!isHash32(root)) throw badInput("a subtree root is a 32-byte hash");
    const start = nextAlign(this.len, height);
    if (!Number.isSafeInteger(start + 2 ** height)) throw badInput("flow length would exceed 2^53");
    this.fillZeros(start);
    this.push(height, root.slice());
    return start;
  }

  /** Appends a file's submission nodes as the Flow contract does (§1.5, segment-boundary rule included). */
  appendSubmission(nodes: readonly SubmissionNode[]): { startPos: number; paddingSectors: number } {
    const placement = placeSubmission(
      this.len,
      nodes.map((n) => n.height),
    );
    for (const [i, n] of nodes.entries()) if (!isHash32(n.root)) throw badInput(`node ${i} root is not a 32-byte hash`);
    this.fillZeros(placement.startPos);
    for (const n of nodes) this.push(n.height, n.root.slice());
    return { startPos: placement.startPos, paddingSectors: placement.paddingSectors };
  }

  /** Appends zero sectors up to `target`, as the largest aligned zero subtrees that fit. */
  private fillZeros(target: number): void {
    while (this.len < target) {
      let h = 0;
      while (h + 1 < MAX_TREE_HEIGHT && this.len % 2 ** (h + 1) === 0 && this.len + 2 ** (h + 1) <= target) h++;
      this.push(h, ZERO_HASHES[h]!);
    }
  }

  /** Appends a subtree at position `len`, which must be a multiple of 2^height. */
  private push(height: number, root: Uint8Array): void {
    this.len += 2 ** height;
    let h = height;
    let acc = root;
    for (let top = this.frontier.at(-1); top !== undefined && top.height === h; top = this.frontier.at(-1)) {
      acc = hashPair(top.root, acc);
      this.frontier.pop();
      h++;
    }
    this.frontier.push({ height: h, root: acc });
  }
}
