import { SEGMENT_CHUNKS } from "./constants.js";
import { nextPow2, numSegments, numSegmentsPadded, paddedChunks } from "./fileLayout.js";
import { checkProofShape, type FileProof } from "./fileProof.js";
import { equalBytes, isHash32, toHex } from "./hex.js";
import { hashPair } from "./keccak.js";
import { MerkleError, proofInvalid } from "./merkleError.js";
import { zeroPromotionRoot } from "./zeroHashes.js";

export interface VerifySegmentProofParameters {
  /** The file root (the Merkle root of the submission). */
  root: Uint8Array;
  segmentRoot: Uint8Array;
  index: number;
  fileSize: number;
  proof: FileProof;
}

/**
 * Validates a segment proof: the hashes chain from `segmentRoot` to `root`, the path leads to segment `index` of a
 * tree with numSegmentsPadded(fileSize) leaves, and every sibling made only of rear-padding segments holds the
 * zero-chunk root it must hold (storage node `validate_rear_padding`). Throws MerkleError (MERKLE_PROOF_INVALID)
 * with a readable reason; returns nothing.
 */
export function verifySegmentProof(p: VerifySegmentProofParameters): void {
  const { root, segmentRoot, index, fileSize, proof } = p;
  let numLeaves: number;
  try {
    numLeaves = numSegmentsPadded(fileSize);
    if (!isHash32(root) || !isHash32(segmentRoot)) throw proofInvalid("root and segmentRoot must be 32-byte hashes");
    checkProofShape(proof);
  } catch (e) {
    throw e instanceof MerkleError ? proofInvalid(e.type.reason) : e;
  }
  if (numLeaves === 0) throw proofInvalid("a 0-byte file has no segments");
  if (!Number.isSafeInteger(index) || index < 0 || index >= numLeaves) {
    throw proofInvalid(`segment index ${index} is out of range: the file has ${numLeaves} segments (padding included)`);
  }
  const { lemma, path } = proof;
  if (!equalBytes(lemma[0]!, segmentRoot)) throw proofInvalid(`lemma[0] ${toHex(lemma[0]!)} is not the segment root`);
  if (!equalBytes(lemma[lemma.length - 1]!, root)) throw proofInvalid("the last lemma entry is not the file root");

  // Position, top-down (0G `calculateProofPosition`), remembering which leaves each sibling covers.
  const siblingRanges: [number, number][] = new Array(path.length);
  let pos = 0;
  let n = numLeaves;
  for (let i = path.length - 1; i >= 0; i--) {
    if (n <= 1) throw proofInvalid(`the path has ${path.length} levels, more than a ${numLeaves}-segment tree has above segment ${pos}`);
    const half = nextPow2(n) / 2;
    if (path[i]) {
      siblingRanges[i] = [pos + half, pos + n];
      n = half;
    } else {
      siblingRanges[i] = [pos, pos + half];
      pos += half;
      n -= half;
    }
  }
  if (n !== 1) throw proofInvalid(`the path has ${path.length} levels, too few to reach a single segment of a ${numLeaves}-segment tree`);
  if (pos !== index) throw proofInvalid(`the path leads to segment ${pos}, not ${index}`);

  let h = lemma[0]!;
  for (let i = 0; i < path.length; i++) h = path[i] ? hashPair(h, lemma[i + 1]!) : hashPair(lemma[i + 1]!, h);
  if (!equalBytes(h, root)) throw proofInvalid("the hashes do not chain to the file root");

  const dataSegments = numSegments(fileSize);
  const padded = paddedChunks(fileSize);
  const paddingRoot = (a: number, b: number) => zeroPromotionRoot(Math.min(b * SEGMENT_CHUNKS, padded) - a * SEGMENT_CHUNKS);
  for (let i = 0; i < path.length; i++) {
    const [a, b] = siblingRanges[i]!;
    if (a >= dataSegments && !equalBytes(lemma[i + 1]!, paddingRoot(a, b))) {
      throw proofInvalid(`sibling ${i} covers padding segments [${a}, ${b}) but is not the root of zero chunks`);
    }
  }
  if (index >= dataSegments && !equalBytes(segmentRoot, paddingRoot(index, index + 1))) {
    throw proofInvalid(`segment ${index} is rear padding but its root is not the root of zero chunks`);
  }
}
