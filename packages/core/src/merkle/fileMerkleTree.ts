import type { FileProof } from "./fileProof.js";
import { isHash32 } from "./hex.js";
import { getMerkleBackend } from "./merkleBackend.js";
import { badInput } from "./merkleError.js";

/** The promotion tree over a file's segment roots (small: one hash per 256 KiB). Levels are packed 32-byte hashes. */
export class FileMerkleTree {
  private readonly levels: Uint8Array[];

  private constructor(levels: Uint8Array[]) {
    this.levels = levels;
  }

  static fromSegmentRoots(roots: readonly Uint8Array[]): FileMerkleTree {
    if (roots.length === 0) throw badInput("a file tree needs at least one segment root");
    const leaves = new Uint8Array(roots.length * 32);
    roots.forEach((r, i) => {
      if (!isHash32(r)) throw badInput(`segment root ${i} is not a 32-byte hash`);
      leaves.set(r, i * 32);
    });
    const levels = [leaves];
    const backend = getMerkleBackend();
    for (let level = leaves, n = roots.length; n > 1; ) {
      const pairs = n >>> 1;
      const next = new Uint8Array((pairs + (n & 1)) * 32);
      backend.hashPairs(level.subarray(0, pairs * 64), next.subarray(0, pairs * 32));
      if (n & 1) next.set(level.subarray((n - 1) * 32, n * 32), pairs * 32);
      levels.push(next);
      level = next;
      n = pairs + (n & 1);
    }
    return new FileMerkleTree(levels);
  }

  get root(): Uint8Array {
    return this.levels[this.levels.length - 1]!.slice(0, 32);
  }

  get numLeaves(): number {
    return this.levels[0]!.length / 32;
  }

  /** Segment root `index` (a copy). */
  leafAt(index: number): Uint8Array {
    this.checkIndex(index);
    return this.levels[0]!.slice(index * 32, index * 32 + 32);
  }

  /** Same lemma/path as 0G's `MerkleTree.proofAt` and the storage node. */
  proofAt(segmentIndex: number): FileProof {
    this.checkIndex(segmentIndex);
    if (this.numLeaves === 1) return { lemma: [this.root], path: [] };
    const lemma = [this.leafAt(segmentIndex)];
    const path: boolean[] = [];
    let idx = segmentIndex;
    for (let k = 0; k < this.levels.length - 1; k++) {
      const level = this.levels[k]!;
      const n = level.length / 32;
      if (idx & 1) {
        lemma.push(level.slice((idx - 1) * 32, idx * 32));
        path.push(false);
      } else if (idx + 1 < n) {
        lemma.push(level.slice((idx + 1) * 32, (idx + 2) * 32));
        path.push(true);
      } // else: promoted unchanged, no sibling at this level
      idx >>>= 1;
    }
    lemma.push(this.root);
    return { lemma, path };
  }

  private checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.numLeaves) {
      throw badInput(`segment index ${index} is out of range: the tree has ${this.numLeaves} leaves`);
    }
  }
}
