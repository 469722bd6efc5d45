// 0G Storage Merkle maths (browser-safe: hash-wasm only, no node: imports, no I/O).

// The base of every zerog error, for browser code that cannot import `@zerog/core` (which loads native modules).
export { isZgError, ZgError } from "../errors.js";
export { CHUNK_SIZE, SEGMENT_CHUNKS, SEGMENT_SIZE } from "./constants.js";
export { FileHasher, type FileHasherDigest, hashFile } from "./fileHasher.js";
export {
  nextPow2,
  numChunks,
  numSegments,
  numSegmentsPadded,
  paddedChunks,
  segmentDataSize,
  segmentPaddedChunks,
  submissionHeights,
} from "./fileLayout.js";
export { FileMerkleTree } from "./fileMerkleTree.js";
export { type FileProof, type FileProofJSON, fileProofFromJSON, fileProofToJSON } from "./fileProof.js";
export { FlowTree } from "./flowTree.js";
export { hashChunk, hashPair } from "./keccak.js";
export { getMerkleBackend, type MerkleBackend, setMerkleBackend, wasmMerkleBackend } from "./merkleBackend.js";
export { MerkleError, MerkleErrorCode, type MerkleErrorType } from "./merkleError.js";
export { nextAlign, placeSubmission, type SubmissionPlacement } from "./placeSubmission.js";
export { promotionRoot } from "./promotionTree.js";
export { segmentRoot } from "./segmentRoot.js";
export { nodesToRoot, type SubmissionNode } from "./submissionNode.js";
export { type VerifySegmentProofParameters, verifySegmentProof } from "./verifySegmentProof.js";
export { ZERO_HASHES } from "./zeroHashes.js";
