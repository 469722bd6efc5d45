import { CHUNK_SIZE } from "./constants.js";
import { segmentPaddedChunks } from "./fileLayout.js";
import { getMerkleBackend } from "./merkleBackend.js";
import { badInput } from "./merkleError.js";

/**
 * Root of segment `index` of a file of `fileSize` bytes, from that segment's data as uploaded (data chunks only, a
 * multiple of 256 bytes, not padded). ZERO[0] leaves are appended up to the segment's padded chunk count, so
 * explicit trailing zero chunks give the same root.
 */
export function segmentRoot(data: Uint8Array, index: number, fileSize: number): Uint8Array {
  return segmentRootOfLeaves(data, checkSegmentData(data, index, fileSize));
}

/** Validates segment data against the file layout; returns the segment's padded chunk count (its leaf count). */
export function checkSegmentData(data: Uint8Array, index: number, fileSize: number): number {
  const leaves = segmentPaddedChunks(index, fileSize);
  if (data.length % CHUNK_SIZE !== 0) throw badInput(`segment data must be a multiple of ${CHUNK_SIZE} bytes, got ${data.length}`);
  const dataChunks = data.length / CHUNK_SIZE;
  if (dataChunks > leaves) throw badInput(`segment ${index} holds at most ${leaves} chunks, got ${dataChunks}`);
  return leaves;
}

/** Hashes the chunks of `data` and pads with ZERO[0] up to `leaves` leaves, then reduces (through the backend). */
export function segmentRootOfLeaves(data: Uint8Array, leaves: number): Uint8Array {
  return getMerkleBackend().segmentRoot(data, leaves);
}
