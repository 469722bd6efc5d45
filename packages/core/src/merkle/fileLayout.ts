import { CHUNK_SIZE, SEGMENT_CHUNKS } from "./constants.js";
import { badInput } from "./merkleError.js";

function checkSize(fileSize: number): void {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw badInput(`file size must be a non-negative safe integer, got ${fileSize}`);
}

/** Smallest power of two ≥ n (n ≥ 1); 0 for 0. Float maths: safe past 2^32, unlike bit tricks. */
export function nextPow2(n: number): number {
  if (n <= 0) return 0;
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** ceil(size / 256). 0 for an empty file, as in 0G (which cannot store one: no submission nodes). */
export function numChunks(fileSize: number): number {
  checkSize(fileSize);
  return Math.ceil(fileSize / CHUNK_SIZE);
}

/** Chunks after flow padding (§1.2): round up to a multiple of max(1, nextPow2(chunks)/16). */
export function paddedChunks(fileSize: number): number {
  const chunks = numChunks(fileSize);
  const p2 = nextPow2(chunks);
  if (p2 === chunks) return chunks;
  const minChunk = p2 >= 16 ? p2 / 16 : 1;
  return Math.ceil(chunks / minChunk) * minChunk;
}

/** Data segments: ceil(numChunks / 1024). These are the segments that are uploaded. */
export function numSegments(fileSize: number): number {
  return Math.ceil(numChunks(fileSize) / SEGMENT_CHUNKS);
}

/** Segments after padding: ceil(paddedChunks / 1024), the leaves of the file tree. */
export function numSegmentsPadded(fileSize: number): number {
  return Math.ceil(paddedChunks(fileSize) / SEGMENT_CHUNKS);
}

/** Heights of the submission nodes: paddedChunks split into strictly decreasing powers of two (§1.2). */
export function submissionHeights(fileSize: number): number[] {
  let rest = paddedChunks(fileSize);
  const heights: number[] = [];
  for (let s = nextPow2(rest), h = Math.log2(Math.max(s, 1)); rest > 0; s /= 2, h--) {
    if (rest >= s) {
      heights.push(h);
      rest -= s;
    }
  }
  return heights;
}

/** Chunks of segment `index` inside the padded file (the last one may be short). */
export function segmentPaddedChunks(index: number, fileSize: number): number {
  const total = paddedChunks(fileSize);
  checkSegmentIndex(index, Math.ceil(total / SEGMENT_CHUNKS));
  return Math.min(SEGMENT_CHUNKS, total - index * SEGMENT_CHUNKS);
}

/**
 * Bytes of segment `index` as uploaded and downloaded: data chunks only (the last data segment truncated to its
 * last data chunk, that chunk zero-padded to 256 bytes); 0 for a segment of pure padding, which is never uploaded.
 */
export function segmentDataSize(index: number, fileSize: number): number {
  checkSegmentIndex(index, numSegmentsPadded(fileSize));
  const chunks = numChunks(fileSize) - index * SEGMENT_CHUNKS;
  return Math.max(0, Math.min(SEGMENT_CHUNKS, chunks)) * CHUNK_SIZE;
}

export function checkSegmentIndex(index: number, numLeaves: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= numLeaves) {
    throw badInput(`segment index ${index} is out of range: the file has ${numLeaves} segments (padding included)`);
  }
}
