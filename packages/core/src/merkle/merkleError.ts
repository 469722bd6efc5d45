import { ZgError } from "../errors.js";

export enum MerkleErrorCode {
  /** A segment proof does not connect the segment to the file root, or claims the wrong position. */
  PROOF_INVALID = "MERKLE_PROOF_INVALID",
  /** An argument is out of range or malformed (negative size, wrong hash length, bad heights, ...). */
  BAD_INPUT = "MERKLE_BAD_INPUT",
}

export type MerkleErrorType = { code: MerkleErrorCode.PROOF_INVALID; reason: string } | { code: MerkleErrorCode.BAD_INPUT; reason: string };

export class MerkleError extends ZgError<MerkleErrorType> {}

export function badInput(reason: string): MerkleError {
  return new MerkleError({ code: MerkleErrorCode.BAD_INPUT, reason }, reason);
}

export function proofInvalid(reason: string): MerkleError {
  return new MerkleError({ code: MerkleErrorCode.PROOF_INVALID, reason }, `invalid segment proof: ${reason}`);
}
