import { ZgError } from "@zerog/core";

export enum ComputeErrorCode {
  /** A request or argument is malformed (bad JSON, wrong field types, out of range). */
  BAD_REQUEST = "COMPUTE_BAD_REQUEST",
  /** Missing, malformed, forged, expired or revoked session token. */
  UNAUTHORIZED = "COMPUTE_UNAUTHORIZED",
  /** The user's sub-account cannot pay for the request. */
  INSUFFICIENT_BALANCE = "COMPUTE_INSUFFICIENT_BALANCE",
  /** The model backend failed or could not be reached. */
  BACKEND_FAILED = "COMPUTE_BACKEND_FAILED",
  /** The weights file is missing, truncated or does not match its hash. */
  BAD_WEIGHTS = "COMPUTE_BAD_WEIGHTS",
  /** A response, receipt or signature does not verify. */
  VERIFICATION_FAILED = "COMPUTE_VERIFICATION_FAILED",
  /** A provider or service is not registered on chain. */
  UNKNOWN_SERVICE = "COMPUTE_UNKNOWN_SERVICE",
  /** The chain refused or failed a transaction. */
  CHAIN_FAILED = "COMPUTE_CHAIN_FAILED",
  /** Another process holds the data directory. */
  DATADIR_LOCKED = "COMPUTE_DATADIR_LOCKED",
  /** The thing asked for is not stored here. */
  NOT_FOUND = "COMPUTE_NOT_FOUND",
  /** A provider broker answered a request with an HTTP error (401, 402, 400, 5xx …); `status` says which. */
  PROVIDER_REFUSED = "COMPUTE_PROVIDER_REFUSED",
  /** A request body is larger than the broker takes. */
  TOO_LARGE = "COMPUTE_TOO_LARGE",
  /** The broker is stopping (or was halted) and takes no more work. */
  STOPPED = "COMPUTE_STOPPED",
}

export type ComputeErrorType =
  | { code: ComputeErrorCode.BAD_REQUEST; detail: string }
  | { code: ComputeErrorCode.UNAUTHORIZED; reason: string }
  | { code: ComputeErrorCode.INSUFFICIENT_BALANCE; user: string; available: bigint; required: bigint }
  | { code: ComputeErrorCode.BACKEND_FAILED; detail: string }
  | { code: ComputeErrorCode.BAD_WEIGHTS; detail: string }
  | { code: ComputeErrorCode.VERIFICATION_FAILED; detail: string }
  | { code: ComputeErrorCode.UNKNOWN_SERVICE; provider: string }
  | { code: ComputeErrorCode.CHAIN_FAILED; detail: string }
  | { code: ComputeErrorCode.DATADIR_LOCKED; dataDir: string; pid: number }
  | { code: ComputeErrorCode.NOT_FOUND; what: string }
  | { code: ComputeErrorCode.PROVIDER_REFUSED; status: number; message: string }
  | { code: ComputeErrorCode.TOO_LARGE; limit: number }
  | { code: ComputeErrorCode.STOPPED };

export class ComputeError extends ZgError<ComputeErrorType> {}
