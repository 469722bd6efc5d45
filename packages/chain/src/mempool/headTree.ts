import type { PoolTx } from "./senderQueue.js";

/**
 * A node of an immutable AVL tree of the senders' next (head) transactions, ordered by fee slack
 * (maxFeePerGas − maxPriorityFeePerGas), then arrival. At base fee b a head whose slack is at least b
 * pays its whole priority fee, and one below pays maxFeePerGas − b: the heads split into two key
 * ranges, each ranked by a field that does not depend on b, and every node keeps its subtree's best
 * of both fields. So the block builder's order at any base fee needs no re-sorting, and a root taken
 * as a snapshot stays valid while the pool changes (updates copy the O(log n) nodes on their path).
 */
export interface HeadNode {
  readonly ptx: PoolTx;
  readonly slack: bigint;
  readonly left: HeadNode | null;
  readonly right: HeadNode | null;
  readonly height: number;
  /** The subtree's tx with the highest maxPriorityFeePerGas (earliest on ties). */
  readonly bestTip: PoolTx;
  /** The subtree's tx with the highest maxFeePerGas (earliest on ties). */
  readonly bestFee: PoolTx;
}

export function insertHead(root: HeadNode | null, ptx: PoolTx): HeadNode {
  return insert(root, ptx, slackOf(ptx));
}

/** Removes `ptx` (found by its key); a tree without it comes back unchanged. */
export function removeHead(root: HeadNode | null, ptx: PoolTx): HeadNode | null {
  return remove(root, slackOf(ptx), ptx.seq);
}

function slackOf(ptx: PoolTx): bigint {
  return ptx.tx.maxFeePerGas - ptx.tx.maxPriorityFeePerGas;
}

function compareKey(slack: bigint, seq: number, node: HeadNode): number {
  if (slack !== node.slack) return slack < node.slack ? -1 : 1;
  return seq - node.ptx.seq;
}

function insert(n: HeadNode | null, ptx: PoolTx, slack: bigint): HeadNode {
  if (n === null) return make(ptx, slack, null, null);
  if (compareKey(slack, ptx.seq, n) < 0) return balance(n.ptx, n.slack, insert(n.left, ptx, slack), n.right);
  return balance(n.ptx, n.slack, n.left, insert(n.right, ptx, slack));
}

function remove(n: HeadNode | null, slack: bigint, seq: number): HeadNode | null {
  if (n === null) return null;
  const c = compareKey(slack, seq, n);
  if (c < 0) {
    const left = remove(n.left, slack, seq);
    return left === n.left ? n : balance(n.ptx, n.slack, left, n.right);
  }
  if (c > 0) {
    const right = remove(n.right, slack, seq);
    return right === n.right ? n : balance(n.ptx, n.slack, n.left, right);
  }
  if (n.left === null) return n.right;
  if (n.right === null) return n.left;
  let min = n.right;
  while (min.left !== null) min = min.left;
  return balance(min.ptx, min.slack, n.left, removeMin(n.right));
}

function removeMin(n: HeadNode): HeadNode | null {
  if (n.left === null) return n.right;
  return balance(n.ptx, n.slack, removeMin(n.left), n.right);
}

function height(n: HeadNode | null): number {
  return n === null ? 0 : n.height;
}

function balance(ptx: PoolTx, slack: bigint, left: HeadNode | null, right: HeadNode | null): HeadNode {
  const hl = height(left);
  const hr = height(right);
  if (hl > hr + 1) {
    const l = left!;
    if (height(l.left) >= height(l.right)) return make(l.ptx, l.slack, l.left, make(ptx, slack, l.right, right));
    const lr = l.right!;
    return make(lr.ptx, lr.slack, make(l.ptx, l.slack, l.left, lr.left), make(ptx, slack, lr.right, right));
  }
  if (hr > hl + 1) {
    const r = right!;
    if (height(r.right) >= height(r.left)) return make(r.ptx, r.slack, make(ptx, slack, left, r.left), r.right);
    const rl = r.left!;
    return make(rl.ptx, rl.slack, make(ptx, slack, left, rl.left), make(r.ptx, r.slack, rl.right, r.right));
  }
  return make(ptx, slack, left, right);
}

function make(ptx: PoolTx, slack: bigint, left: HeadNode | null, right: HeadNode | null): HeadNode {
  let bestTip = ptx;
  let bestFee = ptx;
  if (left !== null) {
    bestTip = higherTip(left.bestTip, bestTip);
    bestFee = higherFee(left.bestFee, bestFee);
  }
  if (right !== null) {
    bestTip = higherTip(right.bestTip, bestTip);
    bestFee = higherFee(right.bestFee, bestFee);
  }
  return { ptx, slack, left, right, height: 1 + Math.max(height(left), height(right)), bestTip, bestFee };
}

function higherTip(a: PoolTx, b: PoolTx): PoolTx {
  const x = a.tx.maxPriorityFeePerGas;
  const y = b.tx.maxPriorityFeePerGas;
  return x > y || (x === y && a.seq < b.seq) ? a : b;
}

function higherFee(a: PoolTx, b: PoolTx): PoolTx {
  const x = a.tx.maxFeePerGas;
  const y = b.tx.maxFeePerGas;
  return x > y || (x === y && a.seq < b.seq) ? a : b;
}
