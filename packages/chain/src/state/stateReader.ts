import type { AccountData } from "./account.js";

/**
 * Read access to one version of the world state. Reads are synchronous: state is on a memory-mapped
 * store or in memory, and execution reads it on its hot path.
 */
export interface StateReader {
  /** The state root this reader was opened at, when known. */
  readonly root: Uint8Array | null;
  getAccount(address: Uint8Array): AccountData | undefined;
  /** Value without leading zeros; empty for an unset slot. */
  getStorage(address: Uint8Array, slot: Uint8Array): Uint8Array;
  getCode(codeHash: Uint8Array): Uint8Array;
}

/** All changes of a block's execution, ready to be committed. */
export interface StateDiff {
  /** Address (hex, no 0x) → new account, or null when deleted. */
  accounts: Map<string, AccountData | null>;
  /** Address → slot (hex) → value without leading zeros (empty = delete). */
  storage: Map<string, Map<string, Uint8Array>>;
  /** Addresses whose storage was wiped before the writes in `storage` (create, selfdestruct). */
  clearedStorage: Set<string>;
  /** Code hash (hex) → code. */
  code: Map<string, Uint8Array>;
}
