import { CHUNK_SIZE, SEGMENT_CHUNKS } from "./constants.js";
import { segmentPaddedChunks } from "./fileLayout.js";
import { keccak256Into } from "./keccak.js";
import { badInput } from "./merkleError.js";
import { reduceInPlace } from "./promotionTree.js";
import { ZERO_HASHES } from "./zeroHashes.js";

const leafScratch = new Uint8Array(SEGMENT_CHUNKS * 32);

/**
 * Root of segment `index` of a file of `fileSize` bytes, from that segment's data as uploaded (data chunks only, a
 * multiple of 256 bytes, not padded). ZERO[0] leaves are appended up to the segment's padded chunk count, so
 * explicit trailing zero chunks give the same root.
 */
export function segmentRoot(data: Uint8Array, index: number, fileSize: number): Uint8Array {
  const leaves = segmentPaddedChunks(index, fileSize);
  if (data.length % CHUNK_SIZE !== 0) throw badInput(`segment data must be a multiple of ${CHUNK_SIZE} bytes, got ${data.length}`);
  const dataChunks = data.length / CHUNK_SIZE;
  if (dataChunks > leaves) throw badInput(`segment ${index} holds at most ${leaves} chunks, got ${dataChunks}`);
  return segmentRootOfLeaves(data, leaves);
}

/** Hashes the chunks of `data` and pads with ZERO[0] up to `leaves` leaves, then reduces. */
export function segmentRootOfLeaves(data: Uint8Array, leaves: number): Uint8Array {
  const dataChunks = data.length / CHUNK_SIZE;
  for (let i = 0; i < dataChunks; i++) keccak256Into(data.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), leafScratch, i * 32);
  for (let i = dataChunks; i < leaves; i++) leafScratch.set(ZERO_HASHES[0]!, i * 32);
  return reduceInPlace(leafScratch, leaves);
}
