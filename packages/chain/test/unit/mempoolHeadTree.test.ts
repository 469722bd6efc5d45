import { describe, expect, it } from "vitest";
import { type HeadNode, insertHead, removeHead } from "../../src/mempool/headTree.js";
import type { PoolTx } from "../../src/mempool/senderQueue.js";

/** Only the fields the tree reads. */
function fakeTx(seq: number, maxPriorityFeePerGas: bigint, maxFeePerGas: bigint): PoolTx {
  return { seq, tx: { maxPriorityFeePerGas, maxFeePerGas } } as unknown as PoolTx;
}

function better(a: PoolTx, b: PoolTx, field: "maxPriorityFeePerGas" | "maxFeePerGas"): boolean {
  return a.tx[field] > b.tx[field] || (a.tx[field] === b.tx[field] && a.seq < b.seq);
}

/** Checks AVL shape, key order and the subtree bests; returns the subtree's txs in order. */
function check(n: HeadNode | null): PoolTx[] {
  if (n === null) return [];
  const left = check(n.left);
  const right = check(n.right);
  const hl = n.left?.height ?? 0;
  const hr = n.right?.height ?? 0;
  expect(Math.abs(hl - hr)).toBeLessThanOrEqual(1);
  expect(n.height).toBe(1 + Math.max(hl, hr));
  const all = [...left, n.ptx, ...right];
  for (let i = 1; i < all.length; i++) {
    const [a, b] = [all[i - 1]!, all[i]!];
    const [sa, sb] = [a.tx.maxFeePerGas - a.tx.maxPriorityFeePerGas, b.tx.maxFeePerGas - b.tx.maxPriorityFeePerGas];
    expect(sa < sb || (sa === sb && a.seq < b.seq)).toBe(true);
  }
  expect(all.reduce((x, y) => (better(y, x, "maxPriorityFeePerGas") ? y : x))).toBe(n.bestTip);
  expect(all.reduce((x, y) => (better(y, x, "maxFeePerGas") ? y : x))).toBe(n.bestFee);
  return all;
}

describe("head tree", () => {
  it("stays balanced and keeps subtree bests under sorted inserts and removals", () => {
    const txs = Array.from({ length: 2000 }, (_, i) => fakeTx(i, BigInt(i % 7), BigInt(i % 7) + BigInt(i)));
    let root: HeadNode | null = null;
    for (const t of txs) root = insertHead(root, t);
    expect(check(root)).toHaveLength(2000);
    expect(root!.height).toBeLessThanOrEqual(Math.ceil(1.45 * Math.log2(2002)));
    const snapshot = root;
    for (const t of txs.filter((_, i) => i % 3 !== 0)) root = removeHead(root, t);
    expect(check(root).map((t) => t.seq)).toEqual(txs.filter((_, i) => i % 3 === 0).map((t) => t.seq));
    expect(check(snapshot)).toHaveLength(2000);
    expect(removeHead(root, fakeTx(99_999, 1n, 2n))).toBe(root);
  });
});
