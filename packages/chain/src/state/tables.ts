import { tableKey } from "@zerog/core";

/**
 * Key prefixes of the chain's databases, tables by first byte. A node keeps two LMDB environments:
 * `chain` (blocks, bodies, receipts, commits: written every block, in height order) and `state`
 * (flat state, trie nodes, code and the transaction index: written every few blocks in one
 * transaction, with `STATE_HEAD` naming the block it matches). Data directories from before the
 * split keep every table in `chain`.
 */
export const Table = {
  /** Chain metadata: head pointer, genesis hash, schema version. */
  META: 0x01,
  /** height (8 bytes BE) → block hash. */
  CANONICAL: 0x02,
  /** block hash → encoded stored block (header, tx hashes, metadata). */
  BLOCK: 0x03,
  /** tx hash → (height, index, sender, raw transaction). In the state environment. */
  TX_INDEX: 0x04,
  /** tx hash → raw transaction. */
  TX_RAW: 0x05,
  /** height → encoded receipts of the block. */
  RECEIPTS: 0x06,
  /** log address (20) ‖ height (8) → nothing: which blocks have logs of an address. */
  LOG_ADDRESS: 0x07,
  /** topic (32) ‖ height (8) → nothing: which blocks have logs with a topic. */
  LOG_TOPIC: 0x08,
  /** height → the commit (aggregated precommits) that decided the block. */
  COMMIT: 0x09,
  /** height → misbehaviour recorded by the block. */
  MISBEHAVIOR: 0x0a,
  /** keccak256(evidence) → height that recorded it (each evidence is committed once). */
  EVIDENCE_INDEX: 0x0b,
  /** height → the block's transactions in order, as rlp([[sender, raw], ...]) (replay after a crash, block sync). */
  BODY: 0x0c,
  /** Latest flat state: address → account. */
  ACCOUNT: 0x10,
  /** Latest flat state: address ‖ slot → value. */
  STORAGE: 0x11,
  /** code hash → code. */
  CODE: 0x12,
  /** Trie node hash → encoding (account and storage tries, all versions). */
  TRIE_NODE: 0x13,
} as const;

export function heightKey(height: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, height);
  return b;
}

export function readHeightKey(b: Uint8Array, offset = 0): bigint {
  return new DataView(b.buffer, b.byteOffset + offset, 8).getBigUint64(0);
}

export function metaKey(name: string): Uint8Array {
  return tableKey(Table.META, new TextEncoder().encode(name));
}
