/**
 * Base class for every error zerog throws on purpose. `type` carries a machine-readable `code` plus
 * typed context, so callers branch on codes, logs carry the context, and errors survive
 * serialisation across threads and processes (`toObject` / `fromObject`).
 */
export class ZgError<T extends { code: string }> extends Error {
  readonly type: T;

  constructor(type: T, message?: string, options?: { cause?: unknown }) {
    super(message ?? type.code, options);
    this.type = type;
    this.name = new.target.name;
  }

  get code(): T["code"] {
    return this.type.code;
  }

  /** Context for structured logs: the type minus anything that is not plain data. */
  getMetadata(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.type) as [string, unknown][]) {
      out[k] = typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v;
    }
    return out;
  }

  toObject(): { name: string; message: string; type: Record<string, unknown> } {
    return { name: this.name, message: this.message, type: this.getMetadata() };
  }
}

// No Buffer: this module is part of the browser-safe `@zerog/core/merkle` entry point.
function toHex(bytes: Uint8Array): string {
  let s = "0x";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function isZgError(e: unknown): e is ZgError<{ code: string }> {
  return e instanceof ZgError;
}

/** Codes of the errors raised by `core` itself. */
export enum CoreErrorCode {
  /** A hex string is malformed (no 0x prefix, odd length, non-hex digit). */
  INVALID_HEX = "CORE_INVALID_HEX",
  /** A byte string has the wrong length for its type. */
  INVALID_LENGTH = "CORE_INVALID_LENGTH",
  /** A signature or key is malformed or does not recover. */
  INVALID_SIGNATURE = "CORE_INVALID_SIGNATURE",
  /** A private key is out of range. */
  INVALID_PRIVATE_KEY = "CORE_INVALID_PRIVATE_KEY",
  /** RLP input is malformed. */
  INVALID_RLP = "CORE_INVALID_RLP",
  /** A Merkle proof does not connect to its root or is incomplete. */
  INVALID_PROOF = "CORE_INVALID_PROOF",
  /** A database operation failed or the database is closed. */
  DB_ERROR = "CORE_DB_ERROR",
}

export type CoreErrorType =
  | { code: CoreErrorCode.INVALID_HEX; value: string }
  | { code: CoreErrorCode.INVALID_LENGTH; expected: number; actual: number }
  | { code: CoreErrorCode.INVALID_SIGNATURE }
  | { code: CoreErrorCode.INVALID_PRIVATE_KEY }
  | { code: CoreErrorCode.INVALID_RLP; reason: string }
  | { code: CoreErrorCode.INVALID_PROOF; reason: string }
  | { code: CoreErrorCode.DB_ERROR; op: string };

export class CoreError extends ZgError<CoreErrorType> {}
