import type { TxCandidates } from "../execution/engine.js";
import { effectiveTip, type SignedTx } from "../tx/transaction.js";
import type { HeadNode } from "./headTree.js";
import { IndexedHeap } from "./indexedHeap.js";
import type { PoolTx } from "./senderQueue.js";

export type { TxCandidates };

/** A head tree subtree (`node`), or a single tx; ranked by its best tx's effective tip, then arrival. */
interface Piece {
  node: HeadNode | null;
  /** Whether the subtree's heads all pay their whole priority fee (slack ≥ base fee). */
  tipRange: boolean;
  ptx: PoolTx;
  tip: bigint;
}

function before(a: Piece, b: Piece): boolean {
  return a.tip > b.tip || (a.tip === b.tip && a.ptx.seq < b.ptx.seq);
}

/**
 * Yields pending txs by effective tip at `baseFee` across senders, in nonce order within a sender.
 * Starts from a snapshot of the head tree (O(log n) pieces) and opens subtrees only as far as the
 * block reads, so a block costs O(b log² n) for b txs yielded, whatever the pool's size. Never
 * changes the pool; a tx replaced or dropped since the snapshot is looked up again before it is yielded.
 */
export class PriorityIterator implements TxCandidates {
  private readonly heap = new IndexedHeap<Piece>(before);
  private readonly baseFee: bigint;
  private current: PoolTx | undefined;

  constructor(root: HeadNode | null, baseFee: bigint) {
    this.baseFee = baseFee;
    // Split the tree at slack = baseFee: right of it heads pay their priority fee, left their fee cap − baseFee.
    for (let n = root; n !== null; ) {
      if (n.slack >= baseFee) {
        this.single(n.ptx);
        this.subtree(n.right, true);
        n = n.left;
      } else n = n.right;
    }
    for (let n = root; n !== null; ) {
      if (n.slack < baseFee) {
        this.single(n.ptx);
        this.subtree(n.left, false);
        n = n.right;
      } else n = n.left;
    }
  }

  peek(): SignedTx | undefined {
    while (this.current === undefined) {
      const piece = this.heap.pop();
      if (piece === undefined) return undefined;
      const node = piece.node;
      if (node !== null) {
        this.single(node.ptx);
        this.subtree(node.left, piece.tipRange);
        this.subtree(node.right, piece.tipRange);
        continue;
      }
      const live = piece.ptx.sender.txs.get(piece.ptx.tx.nonce);
      if (live === piece.ptx) this.current = live;
      else if (live !== undefined) this.single(live);
    }
    return this.current.tx;
  }

  shift(): void {
    if (this.current === undefined) this.peek();
    const cur = this.current;
    if (cur === undefined) return;
    this.current = undefined;
    const next = cur.sender.txs.get(cur.tx.nonce + 1n);
    if (next !== undefined) this.single(next);
  }

  pop(): void {
    if (this.current === undefined) this.peek();
    this.current = undefined;
  }

  private single(ptx: PoolTx): void {
    // A tx that cannot pay the base fee blocks its sender's later nonces too.
    if (ptx.tx.maxFeePerGas < this.baseFee) return;
    this.heap.push({ node: null, tipRange: false, ptx, tip: effectiveTip(ptx.tx, this.baseFee) });
  }

  private subtree(node: HeadNode | null, tipRange: boolean): void {
    if (node === null) return;
    if (tipRange) {
      this.heap.push({ node, tipRange, ptx: node.bestTip, tip: node.bestTip.tx.maxPriorityFeePerGas });
      return;
    }
    const best = node.bestFee;
    if (best.tx.maxFeePerGas < this.baseFee) return;
    this.heap.push({ node, tipRange, ptx: best, tip: best.tx.maxFeePerGas - this.baseFee });
  }
}
