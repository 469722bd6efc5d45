import { ZgError } from "@zerog/core";

export enum DaErrorCode {
  /** A blob is empty or larger than `MAX_BLOB_BYTES`. */
  BLOB_SIZE = "DA_BLOB_SIZE",
  /** Rows or cells that cannot be a blob's encoding (non-canonical field element, bad length prefix, non-zero padding). */
  BAD_ENCODING = "DA_BAD_ENCODING",
  /** Fewer than half of a row's cells, or cells of the wrong size or index. */
  CANNOT_RECOVER = "DA_CANNOT_RECOVER",
  /** The KZG trusted setup could not be loaded. */
  TRUSTED_SETUP = "DA_TRUSTED_SETUP",
  /** An encoder worker failed or the pool was closed. */
  ENCODER_UNAVAILABLE = "DA_ENCODER_UNAVAILABLE",
  /** A request's bytes are not what the protocol says (frames, sizes, fields). */
  BAD_REQUEST = "DA_BAD_REQUEST",
  /** A signer refuses to sign a blob (not uploaded, not its slots, cells that do not verify, …). */
  SIGN_REJECTED = "DA_SIGN_REJECTED",
  /** A DA node (signer or disperser) could not be reached (network, timeout). */
  NODE_UNREACHABLE = "DA_NODE_UNREACHABLE",
  /** A DA node answered with an error or something unusable. */
  NODE_REFUSED = "DA_NODE_REFUSED",
  /** Too few verified columns to rebuild the blob, or the rebuilt blob does not match its data root. */
  UNAVAILABLE = "DA_UNAVAILABLE",
  /** Another process holds the data directory. */
  DATADIR_LOCKED = "DA_DATADIR_LOCKED",
  /** Too many requests of this kind at once: retry later. */
  BUSY = "DA_BUSY",
  /** The blob, or the asked part of it, is not stored here. */
  NOT_FOUND = "DA_NOT_FOUND",
}

export type DaErrorType =
  | { code: DaErrorCode.BLOB_SIZE; size: number; max: number }
  | { code: DaErrorCode.BAD_ENCODING; detail: string }
  | { code: DaErrorCode.CANNOT_RECOVER; row: number; detail: string }
  | { code: DaErrorCode.TRUSTED_SETUP; detail: string }
  | { code: DaErrorCode.ENCODER_UNAVAILABLE; detail: string }
  | { code: DaErrorCode.BAD_REQUEST; detail: string }
  | { code: DaErrorCode.SIGN_REJECTED; reason: string }
  | { code: DaErrorCode.NOT_FOUND; what: string }
  | { code: DaErrorCode.BUSY; limit: number }
  | { code: DaErrorCode.NODE_UNREACHABLE; url: string }
  | { code: DaErrorCode.NODE_REFUSED; url: string; status: number; nodeCode: string }
  | { code: DaErrorCode.UNAVAILABLE; detail: string }
  | { code: DaErrorCode.DATADIR_LOCKED; dataDir: string; pid: number };

export class DaError extends ZgError<DaErrorType> {}
