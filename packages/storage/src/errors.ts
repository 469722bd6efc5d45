import { ZgError } from "@zerog/core";

/**
 * Errors of the storage node. Upload errors carry how 0G's node reports them over JSON-RPC
 * (`rpc/errors.ts` maps them): `INVALID_PARAMS` → -32602 "Invalid params: <param>" with the text in
 * `data`; `INTERNAL` → -32603 "Internal error" with the text in `data`; `CALL_FAILED` → -32000 with
 * the text as message (how jsonrpsee 0.14 reports the node's anyhow errors).
 */
export enum StorageErrorCode {
  INVALID_PARAMS = "STORAGE_INVALID_PARAMS",
  INTERNAL = "STORAGE_INTERNAL",
  CALL_FAILED = "STORAGE_CALL_FAILED",
  /** Another process holds the data directory. */
  DATADIR_LOCKED = "STORAGE_DATADIR_LOCKED",
  /** Options contradict each other or what the data directory was created with. */
  BAD_CONFIG = "STORAGE_BAD_CONFIG",
  /** A Submit log could not be turned into a transaction (gap in seq, bad encoding). */
  BAD_LOG = "STORAGE_BAD_LOG",
}

export type StorageErrorType =
  | { code: StorageErrorCode.INVALID_PARAMS; param: string }
  | { code: StorageErrorCode.INTERNAL }
  | { code: StorageErrorCode.CALL_FAILED }
  | { code: StorageErrorCode.DATADIR_LOCKED; dataDir: string; pid: number }
  | { code: StorageErrorCode.BAD_CONFIG; detail: string }
  | { code: StorageErrorCode.BAD_LOG; detail: string };

export class StorageError extends ZgError<StorageErrorType> {}

/** 0G's `error::invalid_params(param, text)`. */
export function invalidParams(param: string, text: string): StorageError {
  return new StorageError({ code: StorageErrorCode.INVALID_PARAMS, param }, text);
}

/** 0G's `error::internal_error(text)`. */
export function internalError(text: string): StorageError {
  return new StorageError({ code: StorageErrorCode.INTERNAL }, text);
}

/** An anyhow error of 0G's store or chunk pool: -32000 with the text as message. */
export function callFailed(text: string): StorageError {
  return new StorageError({ code: StorageErrorCode.CALL_FAILED }, text);
}

/** The exact texts 0G's node answers with; clients (0G's SDK) match some of them. */
export const UploadErrorText = {
  DATA_EMPTY: "data is empty",
  INVALID_DATA_LENGTH: "invalid data length",
  ROOT_MISMATCH: "data root and tx seq not match",
  FILE_SIZE_MISMATCH: "segment file size not matched with tx file size",
  ALREADY_FINALIZED: "already uploaded and finalized",
  ALREADY_PRUNED: "already pruned",
  CACHE_TOO_LARGE: "caching of large file when tx is unavailable is not supported",
  FILE_EMPTY: "file is empty",
  INDEX_OUT_OF_BOUND: "index out of bound",
  INVALID_PROOF: "invalid proof",
  PROOF_VALIDATION_FAILED: "validation failed",
  DUPLICATE: "segment has already been uploaded or is being uploaded",
  TOO_MANY_WRITINGS: "too many data writing",
} as const;
