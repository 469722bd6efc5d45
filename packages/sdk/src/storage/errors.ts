import type { ZgError } from "@zerog/core";
import { MerkleError } from "@zerog/core/merkle";

// ZgError lives in @zerog/core's root module, which also loads lmdb and native secp256k1: a browser cannot import it.
// @zerog/core/merkle does not re-export it, but its MerkleError extends it, so take the class from there (the type
// import above is erased). Same class object, so `instanceof ZgError` and `isZgError` hold.
const ZgErrorBase = Object.getPrototypeOf(MerkleError) as typeof ZgError;

/** Codes of the errors raised by the storage client. */
export enum StorageClientErrorCode {
  /** A parameter is unusable (empty file, bad root, no nodes). */
  BAD_INPUT = "STORAGE_CLIENT_BAD_INPUT",
  /** A storage node could not be reached, timed out or answered with a non-JSON-RPC HTTP response. */
  NODE_UNREACHABLE = "STORAGE_CLIENT_NODE_UNREACHABLE",
  /** A storage node answered with a JSON-RPC error. */
  NODE_RPC_ERROR = "STORAGE_CLIENT_NODE_RPC_ERROR",
  /** A storage node answered with a result of the wrong shape. */
  NODE_BAD_RESPONSE = "STORAGE_CLIENT_NODE_BAD_RESPONSE",
  /** The given nodes do not cover every shard of the file. */
  SHARDS_NOT_COVERED = "STORAGE_CLIENT_SHARDS_NOT_COVERED",
  /** The Flow submission reverted or its receipt has no Submit log. */
  SUBMIT_FAILED = "STORAGE_CLIENT_SUBMIT_FAILED",
  /** A node refused segments for a reason retrying will not fix, or retries ran out. */
  UPLOAD_FAILED = "STORAGE_CLIENT_UPLOAD_FAILED",
  /** No node knows a finalized file with this root. */
  FILE_NOT_FOUND = "STORAGE_CLIENT_FILE_NOT_FOUND",
  /** No node returned a segment whose proof verifies against the root. */
  SEGMENT_UNAVAILABLE = "STORAGE_CLIENT_SEGMENT_UNAVAILABLE",
  /** Nodes did not reach the awaited state (tx seen, file finalized) in time. */
  TIMEOUT = "STORAGE_CLIENT_TIMEOUT",
  /** The caller's AbortSignal fired. */
  ABORTED = "STORAGE_CLIENT_ABORTED",
}

export type StorageClientErrorType =
  | { code: StorageClientErrorCode.BAD_INPUT; param: string }
  | { code: StorageClientErrorCode.NODE_UNREACHABLE; url: string; method: string; status?: number }
  | { code: StorageClientErrorCode.NODE_RPC_ERROR; url: string; method: string; rpcCode: number; rpcMessage: string; rpcData?: unknown }
  | { code: StorageClientErrorCode.NODE_BAD_RESPONSE; url: string; method: string; reason: string }
  | { code: StorageClientErrorCode.SHARDS_NOT_COVERED; missing: string[] }
  | { code: StorageClientErrorCode.SUBMIT_FAILED; txHash?: string; reason: string }
  | { code: StorageClientErrorCode.UPLOAD_FAILED; url: string; segments: number[] }
  | { code: StorageClientErrorCode.FILE_NOT_FOUND; root: string }
  | { code: StorageClientErrorCode.SEGMENT_UNAVAILABLE; root: string; segment: number; tried: { url: string; reason: string }[] }
  | { code: StorageClientErrorCode.TIMEOUT; waitingFor: string; nodes: string[] }
  | { code: StorageClientErrorCode.ABORTED };

export class StorageClientError extends ZgErrorBase<StorageClientErrorType> {}

/** Network failures, overloaded nodes and rate limits: worth retrying after a pause. */
export function isTransientError(e: unknown): boolean {
  if (!(e instanceof StorageClientError)) return false;
  const t = e.type;
  if (t.code === StorageClientErrorCode.NODE_UNREACHABLE) return true;
  if (t.code === StorageClientErrorCode.NODE_RPC_ERROR)
    return /too many data writing|returned null|timed? ?out|try again/i.test(rpcText(t));
  return false;
}

/** The node's message and its `data` text, where 0G's nodes put the reason. */
export function rpcText(t: { rpcMessage: string; rpcData?: unknown }): string {
  return typeof t.rpcData === "string" ? `${t.rpcMessage}: ${t.rpcData}` : t.rpcMessage;
}

export function rpcErrorMatches(e: unknown, pattern: RegExp): boolean {
  return e instanceof StorageClientError && e.type.code === StorageClientErrorCode.NODE_RPC_ERROR && pattern.test(rpcText(e.type));
}

export function abortedError(): StorageClientError {
  return new StorageClientError({ code: StorageClientErrorCode.ABORTED }, "the operation was aborted by its AbortSignal");
}
