import { type FileMerkleTree, SEGMENT_SIZE, segmentDataSize, segmentRoot, verifySegmentProof } from "@zerog/core/merkle";
import { type Hex, hexToBytes } from "viem";
import { readExactly } from "./dataSource.js";
import type { DataSource, SegmentWithProof } from "./types.js";

/** Bytes of the file inside segment `index` (the download trims the padding of the last chunk). */
export function segmentFileBytes(index: number, fileSize: number): number {
  return Math.min(SEGMENT_SIZE, fileSize - index * SEGMENT_SIZE);
}

/** Reads segment `index` from the source and attaches its proof from the file tree. */
export async function readSegment(source: DataSource, tree: FileMerkleTree, root: Hex, index: number): Promise<SegmentWithProof> {
  const size = source.size;
  const fileBytes = segmentFileBytes(index, size);
  let data = await readExactly(source, index * SEGMENT_SIZE, fileBytes);
  const padded = segmentDataSize(index, size);
  if (padded !== fileBytes) {
    const p = new Uint8Array(padded);
    p.set(data);
    data = p;
  }
  return { root, data, index, proof: tree.proofAt(index), fileSize: size };
}

/**
 * Checks a downloaded segment against the file root: index, file size, data length, segment root and proof (hash and
 * position). Returns the file's bytes in it (padding trimmed), or the reason it is not acceptable.
 */
export function checkDownloadedSegment(
  seg: SegmentWithProof,
  expect: { root: Hex; index: number; fileSize: number },
): { ok: true; bytes: Uint8Array } | { ok: false; reason: string } {
  const { index, fileSize } = expect;
  if (seg.index !== index) return { ok: false, reason: `asked for segment ${index}, got segment ${seg.index}` };
  if (seg.fileSize !== fileSize) return { ok: false, reason: `file size ${seg.fileSize}, expected ${fileSize}` };
  const want = segmentDataSize(index, fileSize);
  if (seg.data.length !== want) return { ok: false, reason: `${seg.data.length} bytes of data, expected ${want}` };
  try {
    verifySegmentProof({
      root: hexToBytes(expect.root),
      segmentRoot: segmentRoot(seg.data, index, fileSize),
      index,
      fileSize,
      proof: seg.proof,
    });
  } catch (e) {
    return { ok: false, reason: `proof does not verify against the root: ${(e as Error).message}` };
  }
  return { ok: true, bytes: seg.data.subarray(0, segmentFileBytes(index, fileSize)) };
}
