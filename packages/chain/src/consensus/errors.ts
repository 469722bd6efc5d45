import { ZgError } from "@zerog/core";

/** Failures of consensus keys, signing, the double-sign guard and the WAL. */
export enum ConsensusErrorCode {
  /** A BLS secret key, public key or signature is malformed, infinity or not in the group. */
  BAD_KEY = "CONSENSUS_BAD_KEY",
  /** A signature does not verify. */
  BAD_SIGNATURE = "CONSENSUS_BAD_SIGNATURE",
  /** A validator key file is missing, unreadable, corrupt or inconsistent. */
  KEY_FILE = "CONSENSUS_KEY_FILE",
  /** Bytes from a peer, the WAL or the store do not decode to a well-formed message. */
  DECODE = "CONSENSUS_DECODE",
  /** A message cannot be encoded or signed: a field out of range or the wrong length. */
  INVALID_FIELD = "CONSENSUS_INVALID_FIELD",
  /** Votes that cannot be aggregated into one commit. */
  INVALID_AGGREGATE = "CONSENSUS_INVALID_AGGREGATE",
  /** A commit that does not prove +2/3 of the power signed the block. */
  INVALID_COMMIT = "CONSENSUS_INVALID_COMMIT",
  /** Duplicate-vote evidence that does not prove equivocation. */
  INVALID_EVIDENCE = "CONSENSUS_INVALID_EVIDENCE",
  /** The guard refused: an earlier (height, round, step), or another value at the same one. */
  DOUBLE_SIGN = "CONSENSUS_DOUBLE_SIGN",
  /** The double-sign guard's state file is missing, corrupt or belongs to another key. */
  PRIVVAL_STATE = "CONSENSUS_PRIVVAL_STATE",
  /** The WAL is corrupt before its tail (not a torn last write), or unusable. */
  WAL_CORRUPT = "CONSENSUS_WAL_CORRUPT",
  /** The WAL was used after `close()` or with a reserved record kind. */
  WAL_MISUSE = "CONSENSUS_WAL_MISUSE",
}

export type ConsensusErrorType =
  | { code: ConsensusErrorCode.BAD_KEY; reason: string }
  | { code: ConsensusErrorCode.BAD_SIGNATURE; what: string }
  | { code: ConsensusErrorCode.KEY_FILE; path: string; reason: string }
  | { code: ConsensusErrorCode.DECODE; what: string; reason: string }
  | { code: ConsensusErrorCode.INVALID_FIELD; field: string; reason: string }
  | { code: ConsensusErrorCode.INVALID_AGGREGATE; reason: string }
  | { code: ConsensusErrorCode.INVALID_COMMIT; height: bigint; reason: string }
  | { code: ConsensusErrorCode.INVALID_EVIDENCE; reason: string }
  | {
      code: ConsensusErrorCode.DOUBLE_SIGN;
      height: bigint;
      round: number;
      step: number;
      lastHeight: bigint;
      lastRound: number;
      lastStep: number;
      reason: "regression" | "conflict";
    }
  | { code: ConsensusErrorCode.PRIVVAL_STATE; path: string; reason: string }
  | { code: ConsensusErrorCode.WAL_CORRUPT; path: string; offset: number; reason: string }
  | { code: ConsensusErrorCode.WAL_MISUSE; reason: string };

export class ConsensusError extends ZgError<ConsensusErrorType> {}
