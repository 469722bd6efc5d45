import { bytesToHex, type Hex, RawJSON } from "@zerog/core";
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

/**
 * Input bytes per base64 piece: a multiple of 3 whose base64 (64 KiB) stays a young-generation string. One 350 KB
 * string lands in V8's large-object space, which costs about five times the encoding itself (allocation and GC).
 */
const BASE64_PIECE = 3 * 16384;

/**
 * `segmentToJSON` as the UTF-8 bytes of its JSON, identical to `JSON.stringify(segmentToJSON(s))`, built in one
 * buffer: the base64 goes in piece by piece, never as one string, and the server sends the bytes as they are.
 */
export function segmentToRawJSON(s: SegmentWithProof): RawJSON {
  const data = Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  const head = `{"root":"${bytesToHex(s.root)}","data":"`;
  const tail = `","index":${s.index},"proof":${JSON.stringify(fileProofToJSON(s.proof))},"fileSize":${s.fileSize}}`;
  const b64 = Math.ceil(data.length / 3) * 4;
  const out = Buffer.allocUnsafe(head.length + b64 + tail.length);
  let off = out.write(head, 0, "latin1");
  for (let a = 0; a < data.length; a += BASE64_PIECE)
    off += out.write(data.toString("base64", a, Math.min(a + BASE64_PIECE, data.length)), off, "latin1");
  out.write(tail, off, "latin1");
  return new RawJSON(out);
}

/** File chunks as the JSON string `zgs_downloadSegment` answers (base64), built as `segmentToRawJSON` builds its data. */
export function base64RawJSON(bytes: Uint8Array): RawJSON {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Buffer.allocUnsafe(Math.ceil(data.length / 3) * 4 + 2);
  out[0] = 0x22;
  let off = 1;
  for (let a = 0; a < data.length; a += BASE64_PIECE)
    off += out.write(data.toString("base64", a, Math.min(a + BASE64_PIECE, data.length)), off, "latin1");
  out[off] = 0x22;
  return new RawJSON(out);
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
