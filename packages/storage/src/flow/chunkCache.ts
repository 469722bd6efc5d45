import { bytesToHex, type Hex } from "@zerog/core";
import type { FileProof } from "@zerog/core/merkle";

export interface CachedSegment {
  index: number;
  data: Uint8Array;
  proof: FileProof;
  segmentRoot: Uint8Array;
}

interface CachedFile {
  fileSize: number;
  expiresAt: number;
  bytes: number;
  segments: Map<number, CachedSegment>;
}

/**
 * Segments of small files uploaded before their Submit log arrived (0G's chunk-pool segment cache):
 * kept in memory, already validated, until the tx appears or `expiryMs` passes.
 */
export class ChunkCache {
  private readonly files = new Map<Hex, CachedFile>();
  private totalBytes = 0;
  private readonly maxBytes: number;
  private readonly expiryMs: number;
  private readonly now: () => number;

  constructor(opts: { maxBytes: number; expiryMs: number }, now: () => number) {
    this.maxBytes = opts.maxBytes;
    this.expiryMs = opts.expiryMs;
    this.now = now;
  }

  has(root: Uint8Array): boolean {
    this.collect();
    return this.files.has(bytesToHex(root));
  }

  /** Number of cached segments of `root`, or undefined when nothing is cached. */
  count(root: Uint8Array): number | undefined {
    return this.files.get(bytesToHex(root))?.segments.size;
  }

  /** False when the cache is full (the caller reports it). Re-adding a segment replaces it. */
  add(root: Uint8Array, fileSize: number, seg: CachedSegment): boolean {
    this.collect();
    const key = bytesToHex(root);
    let file = this.files.get(key);
    if (this.totalBytes + seg.data.length > this.maxBytes) return false;
    if (!file) {
      file = { fileSize, expiresAt: this.now() + this.expiryMs, bytes: 0, segments: new Map() };
      this.files.set(key, file);
    }
    const prev = file.segments.get(seg.index);
    if (prev) {
      file.bytes -= prev.data.length;
      this.totalBytes -= prev.data.length;
    }
    file.segments.set(seg.index, seg);
    file.bytes += seg.data.length;
    this.totalBytes += seg.data.length;
    return true;
  }

  /** Removes and returns the cached segments of `root`. */
  take(root: Uint8Array): { fileSize: number; segments: CachedSegment[] } | undefined {
    const key = bytesToHex(root);
    const file = this.files.get(key);
    if (!file) return undefined;
    this.files.delete(key);
    this.totalBytes -= file.bytes;
    return { fileSize: file.fileSize, segments: [...file.segments.values()] };
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Drops expired files. */
  collect(): void {
    const now = this.now();
    for (const [key, file] of this.files) {
      if (file.expiresAt > now) continue;
      this.files.delete(key);
      this.totalBytes -= file.bytes;
    }
  }
}
