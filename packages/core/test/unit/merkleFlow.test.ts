import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FlowTree,
  hashPair,
  MerkleError,
  nextAlign,
  placeSubmission,
  type SubmissionNode,
  submissionHeights,
  ZERO_HASHES,
} from "../../src/merkle/index.js";

const ZERO32 = new Uint8Array(32);

function randomHash(seed: number): Uint8Array {
  const out = new Uint8Array(32);
  let x = (seed * 2654435761 + 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < 32; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function completeRoot(leaves: readonly Uint8Array[]): Uint8Array {
  let level = [...leaves];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

/** Naive flow: every leaf hash kept; gaps are zero sectors; root over nextPow2(length) leaves padded with ZERO[0]. */
class NaiveFlow {
  leaves: Uint8Array[] = [ZERO32];
  append(start: number, leaves: Uint8Array[]): void {
    while (this.leaves.length < start) this.leaves.push(ZERO_HASHES[0]!);
    this.leaves.push(...leaves);
  }
  root(): Uint8Array {
    let size = 1;
    while (size < this.leaves.length) size *= 2;
    const all = [...this.leaves];
    while (all.length < size) all.push(ZERO_HASHES[0]!);
    return completeRoot(all);
  }
}

/** Literal port of FlowTreeLib.sol (pad, insertNode, commitRoot): a second, independent oracle for the root. */
class ContractFlow {
  currentLength = 1;
  unstagedHeight = 1;
  openNodes: Uint8Array[] = [ZERO32];
  private bit(x: number, i: number): number {
    return Math.floor(x / 2 ** i) % 2;
  }
  pad(heights: number[]): void {
    const length = heights.reduce((s, h) => s + 2 ** h, 0);
    const start = nextAlign(this.currentLength, heights[0]!);
    if (start % 1024 !== 0 && Math.floor(start / 1024) !== Math.floor((start + length - 1) / 1024)) {
      this.currentLength = start + 1024 - (start % 1024);
    }
  }
  insertNode(root: Uint8Array, height: number): number {
    const startIndex = nextAlign(this.currentLength, height);
    const afterLength = startIndex + 2 ** height;
    if (afterLength > 2 ** (this.openNodes.length - 1)) {
      this.commitRoot();
      this.addLevel();
      while (afterLength > 2 ** (this.openNodes.length - 1)) this.addLevel();
      this.unstagedHeight = this.openNodes.length;
    }
    const totalHeight = this.openNodes.length;
    this.commitUnstaged(height);
    let cur = root;
    for (let i = height; i < totalHeight; i++) {
      if (this.bit(startIndex, i) === 0) {
        this.openNodes[i] = cur;
        this.unstagedHeight = i + 1;
        break;
      }
      cur = hashPair(this.openNodes[i]!, cur);
    }
    this.currentLength = startIndex + 2 ** height;
    return startIndex;
  }
  private addLevel(): void {
    const h = this.openNodes.length;
    this.openNodes.push(hashPair(this.openNodes[h - 1]!, ZERO_HASHES[h - 1]!));
  }
  commitRoot(): void {
    if (this.unstagedHeight === this.openNodes.length) return;
    const totalHeight = this.openNodes.length;
    let left = this.openNodes[this.unstagedHeight - 1]!;
    let right = ZERO_HASHES[this.unstagedHeight - 1]!;
    for (let i = this.unstagedHeight; i < totalHeight; i++) {
      const cur = hashPair(left, right);
      if (this.bit(this.currentLength, i) === 0) {
        left = cur;
        right = ZERO_HASHES[i]!;
        this.openNodes[i] = cur;
      } else {
        left = this.openNodes[i]!;
        right = cur;
      }
    }
    this.unstagedHeight = totalHeight;
  }
  private commitUnstaged(minHeight: number): void {
    if (this.unstagedHeight > minHeight) return;
    const totalHeight = this.openNodes.length;
    let left = this.openNodes[this.unstagedHeight - 1]!;
    let right = ZERO_HASHES[this.unstagedHeight - 1]!;
    for (let i = this.unstagedHeight; i < totalHeight; i++) {
      const cur = hashPair(left, right);
      if (this.bit(this.currentLength, i) === 0) {
        left = cur;
        right = ZERO_HASHES[i]!;
        if (i >= minHeight) {
          this.openNodes[i] = cur;
          return;
        }
      } else {
        left = this.openNodes[i]!;
        right = cur;
      }
    }
  }
  root(): Uint8Array {
    this.commitRoot();
    return this.openNodes[this.openNodes.length - 1]!;
  }
}

/** A random file of `size` bytes as submission nodes plus the leaf hashes behind each node. */
function makeSubmission(size: number, seed: number): { nodes: SubmissionNode[]; leaves: Uint8Array[][] } {
  const heights = submissionHeights(size);
  const leaves = heights.map((h, k) => Array.from({ length: 2 ** h }, (_, i) => randomHash(seed * 7919 + k * 104729 + i)));
  return { nodes: heights.map((height, k) => ({ height, root: completeRoot(leaves[k]!) })), leaves };
}

describe("placeSubmission", () => {
  it("follows nextAlign and the segment-boundary rule", () => {
    expect(placeSubmission(1, [0])).toEqual({ startPos: 1, nodeStarts: [1], newLength: 2, paddingSectors: 0 });
    expect(placeSubmission(1, [10])).toEqual({ startPos: 1024, nodeStarts: [1024], newLength: 2048, paddingSectors: 1023 });
    // 16 sectors from 1000: aligned to 1008, ends at 1023 inside segment 0.
    expect(placeSubmission(1000, [4])).toMatchObject({ startPos: 1008, newLength: 1024, paddingSectors: 8 });
    // 20 sectors from 1001: 1008 + 20 crosses 1024, so the file moves to the next segment.
    expect(placeSubmission(1001, [4, 2])).toEqual({ startPos: 1024, nodeStarts: [1024, 1040], newLength: 1044, paddingSectors: 23 });
    expect(placeSubmission(3, [11, 10, 8])).toEqual({
      startPos: 2048,
      nodeStarts: [2048, 4096, 5120],
      newLength: 5376,
      paddingSectors: 2045,
    });
    expect(nextAlign(0, 5)).toBe(0);
    expect(nextAlign(33, 5)).toBe(64);
    expect(nextAlign(2 ** 40 + 1, 40)).toBe(2 ** 41);
  });

  it("a file is segment-aligned or inside one segment; nodes are aligned and contiguous", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 64 * 1024 * 1024 }), (len, size) => {
        const heights = submissionHeights(size);
        const p = placeSubmission(len, heights);
        expect(p.startPos).toBeGreaterThanOrEqual(len);
        expect(p.paddingSectors).toBe(p.startPos - len);
        expect(p.startPos % 1024 === 0 || Math.floor(p.startPos / 1024) === Math.floor((p.newLength - 1) / 1024)).toBe(true);
        let pos = p.startPos;
        heights.forEach((h, i) => {
          expect(p.nodeStarts[i]).toBe(pos);
          expect(pos % 2 ** h).toBe(0);
          pos += 2 ** h;
        });
        expect(p.newLength).toBe(pos);
        // Never skips a whole segment: the start is at most one segment (or one alignment unit) away.
        expect(p.startPos - len).toBeLessThan(Math.max(1024, 2 ** heights[0]!));
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it("rejects bad heights and lengths with MERKLE_BAD_INPUT", () => {
    for (const [len, hs] of [
      [1, []],
      [1, [3, 3]],
      [1, [2, 5]],
      [1, [64]],
      [1, [1.5]],
      [0, [1]],
      [-1, [1]],
    ] as [number, number[]][]) {
      expect(() => placeSubmission(len, hs)).toThrowError(MerkleError);
    }
  });
});

describe("FlowTree", () => {
  it("starts with the dummy entry 0 (hash 0x00…00)", () => {
    const t = new FlowTree();
    expect(t.length).toBe(1);
    expect(t.root()).toEqual(ZERO32);
  });

  it("pads with zero subtrees, not promotion", () => {
    const t = new FlowTree();
    const a = randomHash(1);
    expect(t.appendSubtree(0, a)).toBe(1);
    expect(t.root()).toEqual(hashPair(ZERO32, a));
    const b = randomHash(2);
    expect(t.appendSubtree(0, b)).toBe(2);
    // Three leaves: the missing fourth is ZERO[0]; promotion would have given H(H(0, a), b).
    expect(t.root()).toEqual(hashPair(hashPair(ZERO32, a), hashPair(b, ZERO_HASHES[0]!)));
    // A height-2 subtree lands at nextAlign(3, 2) = 4: sector 3 is a zero gap (leaf ZERO[0]).
    const c = randomHash(3);
    expect(t.appendSubtree(2, c)).toBe(4);
    expect(t.length).toBe(8);
    expect(t.root()).toEqual(hashPair(hashPair(hashPair(ZERO32, a), hashPair(b, ZERO_HASHES[0]!)), c));
  });

  it("appendSubmission reports startPos and padding like the contract", () => {
    const t = new FlowTree();
    const s = makeSubmission(1500 * 256, 1);
    expect(t.appendSubmission(s.nodes)).toEqual({ startPos: 1024, paddingSectors: 1023 });
    expect(t.length).toBe(1024 + 1536);
    const small = makeSubmission(20 * 256, 2);
    // 20 chunks → heights [4, 2]; from 2560 the file fits in segment 2.
    expect(t.appendSubmission(small.nodes)).toEqual({ startPos: 2560, paddingSectors: 0 });
  });

  it("root matches a naive full-leaf flow and a port of FlowTreeLib for random submissions", () => {
    const sizeArb = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 64 * 256 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 2100 * 256 }) },
    );
    const opArb = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("file" as const), size: sizeArb, seed: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant("subtree" as const), height: fc.integer({ min: 0, max: 7 }), seed: fc.nat() }),
      },
    );
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 6 }), (ops) => {
        const t = new FlowTree();
        const naive = new NaiveFlow();
        const contract = new ContractFlow();
        for (const op of ops) {
          if (op.kind === "file") {
            const { nodes, leaves } = makeSubmission(op.size, op.seed);
            const before = t.length;
            const { startPos, paddingSectors } = t.appendSubmission(nodes);
            expect(paddingSectors).toBe(startPos - before);
            contract.pad(nodes.map((n) => n.height));
            const starts = nodes.map((n) => contract.insertNode(n.root, n.height));
            expect(starts[0]).toBe(startPos);
            naive.append(startPos, leaves.flat());
          } else {
            const leaves = Array.from({ length: 2 ** op.height }, (_, i) => randomHash(op.seed * 31 + i));
            const root = completeRoot(leaves);
            const start = t.appendSubtree(op.height, root);
            expect(contract.insertNode(root, op.height)).toBe(start);
            naive.append(start, leaves);
          }
          expect(t.length).toBe(naive.leaves.length);
          expect(t.length).toBe(contract.currentLength);
          const root = t.root();
          expect(root).toEqual(naive.root());
          expect(root).toEqual(contract.root());
        }
      }),
      { numRuns: 60, seed: 9 },
    );
  });

  it("handles positions past 2^32 (sparse: no leaves stored)", () => {
    const t = new FlowTree();
    const r = randomHash(5);
    expect(t.appendSubtree(40, r)).toBe(2 ** 40);
    expect(t.length).toBe(2 ** 41);
    // Left half: the dummy then zeros, i.e. H(...H(H(0, Z0), Z1)..., Z39).
    let left = hashPair(ZERO32, ZERO_HASHES[0]!);
    for (let h = 1; h < 40; h++) left = hashPair(left, ZERO_HASHES[h]!);
    expect(t.root()).toEqual(hashPair(left, r));
    const s = t.appendSubmission([{ height: 3, root: randomHash(6) }]);
    expect(s.startPos).toBe(2 ** 41);
  });
});
