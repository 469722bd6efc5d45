import { CHUNK_SIZE, SEGMENT_CHUNKS, SEGMENT_HEIGHT, SEGMENT_SIZE } from "./constants.js";
import { numChunks, paddedChunks, submissionHeights } from "./fileLayout.js";
import { FileMerkleTree } from "./fileMerkleTree.js";
import { getMerkleBackend } from "./merkleBackend.js";
import { badInput } from "./merkleError.js";
import { promotionRoot } from "./promotionTree.js";
import type { SubmissionNode } from "./submissionNode.js";
import { ZERO_HASHES } from "./zeroHashes.js";

export interface FileHasherDigest {
  /** The file root (what `zgs_getFileInfo` is keyed by). */
  root: Uint8Array;
  /** The Flow submission nodes, largest first. */
  nodes: SubmissionNode[];
  tree: FileMerkleTree;
  /** One root per padded segment (the tree's leaves). */
  segmentRoots: Uint8Array[];
}

/**
 * Streaming file hasher: feed the file's bytes in any slicing, then `digest()`. A whole segment in the caller's buffer
 * is one backend `segmentRoot` call; other whole chunks are hashed in runs straight from the caller's buffer into one
 * 32 KiB leaf buffer, reduced when the segment fills, so memory is O(segments × 32 B) whatever the file size.
 */
export class FileHasher {
  readonly fileSize: number;
  private readonly leaves = new Uint8Array(SEGMENT_CHUNKS * 32);
  private leafCount = 0;
  private readonly partial = new Uint8Array(CHUNK_SIZE);
  private partialLength = 0;
  private received = 0;
  private readonly segmentRoots: Uint8Array[] = [];
  private result: FileHasherDigest | null = null;

  constructor(fileSize: number) {
    if (numChunks(fileSize) === 0) throw badInput("0G cannot store an empty file: a 0-byte file has no chunks and no submission nodes");
    this.fileSize = fileSize;
  }

  update(bytes: Uint8Array): void {
    if (this.result !== null) throw badInput("FileHasher.update after digest");
    if (this.received + bytes.length > this.fileSize) {
      throw badInput(`more bytes than the declared file size ${this.fileSize} (got ${this.received + bytes.length})`);
    }
    this.received += bytes.length;
    let off = 0;
    if (this.partialLength > 0) {
      const take = Math.min(CHUNK_SIZE - this.partialLength, bytes.length);
      this.partial.set(bytes.subarray(0, take), this.partialLength);
      this.partialLength += take;
      off = take;
      if (this.partialLength < CHUNK_SIZE) return;
      this.partialLength = 0;
      this.addLeaf(this.partial);
    }
    const backend = getMerkleBackend();
    while (bytes.length - off >= CHUNK_SIZE) {
      if (this.leafCount === 0 && bytes.length - off >= SEGMENT_SIZE) {
        this.segmentRoots.push(backend.segmentRoot(bytes.subarray(off, off + SEGMENT_SIZE), SEGMENT_CHUNKS));
        off += SEGMENT_SIZE;
        continue;
      }
      const run = Math.min(SEGMENT_CHUNKS - this.leafCount, Math.floor((bytes.length - off) / CHUNK_SIZE));
      backend.hashChunks(
        bytes.subarray(off, off + run * CHUNK_SIZE),
        this.leaves.subarray(this.leafCount * 32, (this.leafCount + run) * 32),
      );
      off += run * CHUNK_SIZE;
      this.leafCount += run;
      if (this.leafCount === SEGMENT_CHUNKS) this.closeSegment();
    }
    if (off < bytes.length) {
      this.partial.set(bytes.subarray(off), 0);
      this.partialLength = bytes.length - off;
    }
  }

  digest(): FileHasherDigest {
    if (this.result !== null) return this.result;
    if (this.received !== this.fileSize) throw badInput(`FileHasher got ${this.received} of ${this.fileSize} bytes`);
    if (this.partialLength > 0) {
      this.partial.fill(0, this.partialLength);
      this.partialLength = 0;
      this.addLeaf(this.partial);
    }
    const padded = paddedChunks(this.fileSize);
    const heights = submissionHeights(this.fileSize);
    const remaining = () => padded - this.segmentRoots.length * SEGMENT_CHUNKS;
    if (this.leafCount > 0 && remaining() >= SEGMENT_CHUNKS) {
      for (let i = this.leafCount; i < SEGMENT_CHUNKS; i++) this.leaves.set(ZERO_HASHES[0]!, i * 32);
      this.closeSegment();
    }
    // Whole segments of rear padding: the root of 1024 zero chunks.
    while (remaining() >= SEGMENT_CHUNKS) this.segmentRoots.push(ZERO_HASHES[SEGMENT_HEIGHT]!.slice());
    const nodes: SubmissionNode[] = [];
    let lastSegment: Uint8Array | null = null;
    const tailChunks = remaining();
    if (tailChunks > 0) {
      // The last, short segment: pad with zero leaves; nodes below segment height all live in it.
      for (let i = this.leafCount; i < tailChunks; i++) this.leaves.set(ZERO_HASHES[0]!, i * 32);
      lastSegment = this.leaves.slice(0, tailChunks * 32);
      this.segmentRoots.push(getMerkleBackend().promotionRoot(lastSegment));
    }
    let chunkOffset = 0;
    for (const height of heights) {
      const size = 2 ** height;
      let root: Uint8Array;
      if (height >= SEGMENT_HEIGHT) {
        const first = chunkOffset / SEGMENT_CHUNKS;
        root = promotionRoot(this.segmentRoots.slice(first, first + size / SEGMENT_CHUNKS));
      } else {
        const start = chunkOffset % SEGMENT_CHUNKS;
        root = getMerkleBackend().promotionRoot(lastSegment!.subarray(start * 32, (start + size) * 32));
      }
      nodes.push({ root, height });
      chunkOffset += size;
    }
    const tree = FileMerkleTree.fromSegmentRoots(this.segmentRoots);
    this.result = { root: tree.root, nodes, tree, segmentRoots: this.segmentRoots.map((r) => r.slice()) };
    return this.result;
  }

  private addLeaf(chunk: Uint8Array): void {
    getMerkleBackend().hashChunks(chunk, this.leaves.subarray(this.leafCount * 32, this.leafCount * 32 + 32));
    if (++this.leafCount === SEGMENT_CHUNKS) this.closeSegment();
  }

  private closeSegment(): void {
    this.segmentRoots.push(getMerkleBackend().promotionRoot(this.leaves));
    this.leafCount = 0;
  }
}

/** Convenience: hash a whole in-memory file. */
export function hashFile(data: Uint8Array): FileHasherDigest {
  const h = new FileHasher(data.length);
  h.update(data);
  return h.digest();
}
