import { concat, type Hex, keccak256 } from "viem";

// A deliberately simple model of the flow (reference storage.md §1.5), independent of the contract and of
// @zerog/core/merkle: positions of placed subtrees in a map, the root by recursion over the whole tree.

export const ZERO: Hex[] = [keccak256(new Uint8Array(256))];
for (let i = 1; i <= 64; i++) ZERO.push(keccak256(concat([ZERO[i - 1]!, ZERO[i - 1]!])));

export interface Node {
  root: Hex;
  height: number;
}

const align = (n: number, h: number): number => Math.ceil(n / 2 ** h) * 2 ** h;

export class NaiveFlow {
  length = 1;
  /** `${height}:${index}` → root of a placed subtree. */
  private readonly placed = new Map<string, Hex>();
  private readonly starts: { start: number; end: number }[] = [{ start: 0, end: 1 }];

  /** Places a file's nodes; returns the first node's position and the zero sectors skipped in front. */
  submit(nodes: readonly Node[]): { startPos: number; padding: number } {
    const size = nodes.reduce((s, n) => s + 2 ** n.height, 0);
    let start = align(this.length, nodes[0]!.height);
    if (start % 1024 !== 0 && Math.floor(start / 1024) !== Math.floor((start + size - 1) / 1024))
      start = (Math.floor(start / 1024) + 1) * 1024;
    const padding = start - this.length;
    let pos = start;
    for (const n of nodes) {
      pos = align(pos, n.height);
      this.placed.set(`${n.height}:${pos / 2 ** n.height}`, n.root);
      this.starts.push({ start: pos, end: pos + 2 ** n.height });
      pos += 2 ** n.height;
    }
    this.length = pos;
    return { startPos: start, padding };
  }

  root(): Hex {
    let h = 0;
    while (2 ** h < this.length) h++;
    return this.node(h, 0);
  }

  private node(h: number, i: number): Hex {
    const placed = this.placed.get(`${h}:${i}`);
    if (placed) return placed;
    const lo = i * 2 ** h;
    const hi = lo + 2 ** h;
    if (h === 0 && i === 0) return `0x${"00".repeat(32)}`; // the dummy entry
    // Nothing placed inside (and not the dummy): zero data.
    if (lo > 0 && !this.starts.some((s) => s.start < hi && s.end > lo)) return ZERO[h]!;
    if (h === 0) return ZERO[0]!;
    return keccak256(concat([this.node(h - 1, 2 * i), this.node(h - 1, 2 * i + 1)]));
  }
}
