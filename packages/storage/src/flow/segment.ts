import { bytesToHex, type Hex } from "@zerog/core";
import { type FileProof, fileProofToJSON, MerkleError, numSegments, segmentRoot, verifySegmentProof } from "@zerog/core/merkle";
import { invalidParams, UploadErrorText } from "../errors.js";
import { SECTOR_SIZE, SEGMENT_BYTES } from "../params.js";

/** A segment as uploaded or downloaded (`SegmentWithProof`, reference §3.2), decoded. */
export interface SegmentWithProof {
  root: Uint8Array;
  /** Data chunks only; the last data segment is truncated to whole chunks. */
  data: Uint8Array;
  index: number;
  proof: FileProof;
  fileSize: number;
}

export interface SegmentWithProofJSON {
  root: Hex;
  data: string;
  index: number;
  proof: { lemma: Hex[]; path: boolean[] };
  fileSize: number;
}

export function segmentToJSON(s: SegmentWithProof): SegmentWithProofJSON {
  return {
    root: bytesToHex(s.root),
    data: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).toString("base64"),
    index: s.index,
    proof: fileProofToJSON(s.proof),
    fileSize: s.fileSize,
  };
}

/** Bytes of data segment `index` of a file of `fileSize` bytes, as uploaded (0G `split_file_into_segments`). */
export function segmentDataLength(fileSize: number, index: number): number {
  const n = numSegments(fileSize);
  if (index < n - 1) return SEGMENT_BYTES;
  const rest = fileSize - (n - 1) * SEGMENT_BYTES;
  return Math.ceil(rest / SECTOR_SIZE) * SECTOR_SIZE;
}

/**
 * 0G's `SegmentWithProof::validate`, in its order: file size, index, data length, proof format, then the
 * proof itself (hashes, position and rear padding via `verifySegmentProof`). Returns the segment root.
 */
export function validateSegment(s: SegmentWithProof): Uint8Array {
  if (s.fileSize === 0) throw invalidParams("file_size", UploadErrorText.FILE_EMPTY);
  const n = numSegments(s.fileSize);
  if (s.index >= n) throw invalidParams("index", UploadErrorText.INDEX_OUT_OF_BOUND);
  if (s.data.length !== segmentDataLength(s.fileSize, s.index)) throw invalidParams("data", UploadErrorText.INVALID_DATA_LENGTH);
  const { lemma, path } = s.proof;
  if (path.length === 0 ? lemma.length !== 1 : lemma.length !== path.length + 2)
    throw invalidParams("proof", UploadErrorText.INVALID_PROOF);
  const root = segmentRoot(s.data, s.index, s.fileSize);
  try {
    verifySegmentProof({ root: s.root, segmentRoot: root, index: s.index, fileSize: s.fileSize, proof: s.proof });
  } catch (e) {
    if (e instanceof MerkleError) throw invalidParams("proof", UploadErrorText.PROOF_VALIDATION_FAILED);
    throw e;
  }
  return root;
}
