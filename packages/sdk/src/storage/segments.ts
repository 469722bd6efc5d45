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

/** A segment's root from its data (`segmentRoot` of `@zerog/core/merkle`, or an off-thread one in Node). */
export type SegmentRootFunction = (data: Uint8Array, index: number, fileSize: number) => Uint8Array | Promise<Uint8Array>;

type CheckResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/**
 * Checks a downloaded segment against the file root: index, file size, data length, segment root and proof (hash and
 * position). Returns the file's bytes in it (padding trimmed), or the reason it is not acceptable.
 */
export function checkDownloadedSegment(seg: SegmentWithProof, expect: { root: Hex; index: number; fileSize: number }): CheckResult {
  const bad = checkShape(seg, expect);
  return bad ?? checkProof(seg, expect, segmentRoot(seg.data, expect.index, expect.fileSize));
}

/** `checkDownloadedSegment` with the segment root from `hash` (e.g. `segmentRootAsync` of `@zerog/core/native`). */
export async function verifyDownloadedSegment(
  seg: SegmentWithProof,
  expect: { root: Hex; index: number; fileSize: number },
  hash: SegmentRootFunction = segmentRoot,
): Promise<CheckResult> {
  const bad = checkShape(seg, expect);
  if (bad) return bad;
  let root: Uint8Array;
  try {
    root = await hash(seg.data, expect.index, expect.fileSize);
  } catch (e) {
    return { ok: false, reason: `cannot hash the segment: ${(e as Error).message}` };
  }
  return checkProof(seg, expect, root);
}

function checkShape(seg: SegmentWithProof, { index, fileSize }: { index: number; fileSize: number }): CheckResult | null {
  if (seg.index !== index) return { ok: false, reason: `asked for segment ${index}, got segment ${seg.index}` };
  if (seg.fileSize !== fileSize) return { ok: false, reason: `file size ${seg.fileSize}, expected ${fileSize}` };
  const want = segmentDataSize(index, fileSize);
  if (seg.data.length !== want) return { ok: false, reason: `${seg.data.length} bytes of data, expected ${want}` };
  return null;
}

function checkProof(seg: SegmentWithProof, expect: { root: Hex; index: number; fileSize: number }, root: Uint8Array): CheckResult {
  const { index, fileSize } = expect;
  try {
    verifySegmentProof({ root: hexToBytes(expect.root), segmentRoot: root, index, fileSize, proof: seg.proof });
  } catch (e) {
    return { ok: false, reason: `proof does not verify against the root: ${(e as Error).message}` };
  }
  return { ok: true, bytes: seg.data.subarray(0, segmentFileBytes(index, fileSize)) };
}
