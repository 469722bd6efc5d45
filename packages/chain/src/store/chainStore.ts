import {
  type BatchOp,
  bytesToBigInt,
  bytesToHex,
  type KVStore,
  keccak256,
  type RLPDecoded,
  rlpDecode,
  rlpEncode,
  tableKey,
} from "@zerog/core";
import { type BlockHeader, decodeHeader, encodeHeader } from "../block/header.js";
import { decodeMisbehavior, encodeMisbehavior } from "../block/misbehavior.js";
import { decodeReceipts, encodeReceipts, type Receipt } from "../block/receipt.js";
import { ChainError, ChainErrorCode } from "../errors.js";
import type { Misbehavior } from "../execution/engine.js";
import { heightKey, metaKey, Table } from "../state/tables.js";
import { parseTx, type SignedTx } from "../tx/transaction.js";

export interface StoredBlock {
  hash: Uint8Array;
  header: BlockHeader;
  txHashes: Uint8Array[];
  /** RLP size of the full block, as `eth_getBlockBy*` reports it. */
  size: number;
}

export interface StoredTx {
  tx: SignedTx;
  height: bigint;
  index: number;
}

export interface ChainHead {
  number: bigint;
  hash: Uint8Array;
}

const HEAD_KEY = metaKey("head");
const GENESIS_KEY = metaKey("genesis");
const RECENT = 64;

/**
 * Blocks, transactions and receipts on disk. Writes are returned as batch operations: a block, its
 * body, receipts, commit and the new head commit in one atomic write to `db`; its transaction
 * index goes to `indexDb` later, with the state (until then `tx` answers from memory).
 */
export class ChainStore {
  private readonly db: KVStore;
  private readonly indexDb: KVStore;
  private readonly recentBlocks = new Map<string, StoredBlock>();
  private readonly recentReceipts = new Map<bigint, Receipt[]>();
  /** Transactions of durable blocks whose index rows are not yet written, by hash (hex). */
  private readonly unindexed = new Map<string, StoredTx>();
  /** The hashes in `unindexed` by height, oldest first. */
  private readonly unindexedHeights = new Map<bigint, string[]>();

  constructor(deps: { db: KVStore; indexDb?: KVStore }) {
    this.db = deps.db;
    this.indexDb = deps.indexDb ?? deps.db;
  }

  head(): ChainHead | undefined {
    const raw = this.db.get(HEAD_KEY);
    if (!raw) return undefined;
    const [n, h] = rlpDecode(raw) as Uint8Array[];
    return { number: bytesToBigInt(n!), hash: h! };
  }

  genesisHash(): Uint8Array | undefined {
    return this.db.get(GENESIS_KEY);
  }

  hashByNumber(n: bigint): Uint8Array | undefined {
    return this.db.get(tableKey(Table.CANONICAL, heightKey(n)));
  }

  blockByHash(hash: Uint8Array): StoredBlock | undefined {
    const k = bytesToHex(hash);
    const cached = this.recentBlocks.get(k);
    if (cached) return cached;
    const raw = this.db.get(tableKey(Table.BLOCK, hash));
    if (!raw) return undefined;
    const d = rlpDecode(raw);
    if (!Array.isArray(d) || d.length !== 3) throw corrupt("block");
    const [headerRlp, txHashes, size] = d as [Uint8Array, RLPDecoded, Uint8Array];
    if (!Array.isArray(txHashes)) throw corrupt("block");
    return { hash, header: decodeHeader(headerRlp), txHashes: txHashes as Uint8Array[], size: Number(bytesToBigInt(size)) };
  }

  blockByNumber(n: bigint): StoredBlock | undefined {
    const hash = this.hashByNumber(n);
    return hash ? this.blockByHash(hash) : undefined;
  }

  tx(hash: Uint8Array): StoredTx | undefined {
    if (this.unindexed.size > 0) {
      const pending = this.unindexed.get(bytesToHex(hash));
      if (pending) return pending;
    }
    const raw = this.indexDb.get(tableKey(Table.TX_INDEX, hash));
    if (!raw) return undefined;
    const [height, index, sender, txRaw] = rlpDecode(raw) as Uint8Array[];
    const tx = Object.assign(parseTx(txRaw!), { sender: sender! });
    return { tx, height: bytesToBigInt(height!), index: Number(bytesToBigInt(index!)) };
  }

  /** The transactions of block `height` in order, with their senders. */
  blockTxs(height: bigint): SignedTx[] | undefined {
    const raw = this.db.get(tableKey(Table.BODY, heightKey(height)));
    if (!raw) {
      // Blocks written before bodies were stored: through the transaction index.
      const block = this.blockByNumber(height);
      if (!block) return undefined;
      const txs = block.txHashes.map((h) => this.tx(h)?.tx);
      return txs.every((t) => t !== undefined) ? (txs as SignedTx[]) : undefined;
    }
    const d = rlpDecode(raw);
    if (!Array.isArray(d)) throw corrupt("block body");
    return d.map((item) => {
      if (!Array.isArray(item) || item.length !== 2 || Array.isArray(item[0]) || Array.isArray(item[1])) throw corrupt("block body");
      return Object.assign(parseTx(item[1] as Uint8Array), { sender: item[0] as Uint8Array });
    });
  }

  receipts(height: bigint): Receipt[] | undefined {
    const cached = this.recentReceipts.get(height);
    if (cached) return cached;
    const raw = this.db.get(tableKey(Table.RECEIPTS, heightKey(height)));
    return raw ? decodeReceipts(raw) : undefined;
  }

  /** The commit that decided block `height` (absent for genesis and blocks from a single producer). */
  commit(height: bigint): Uint8Array | undefined {
    return this.db.get(tableKey(Table.COMMIT, heightKey(height)));
  }

  /** Misbehaviour block `height` recorded. */
  misbehavior(height: bigint): Misbehavior[] {
    const raw = this.db.get(tableKey(Table.MISBEHAVIOR, heightKey(height)));
    return raw ? decodeMisbehavior(raw) : [];
  }

  /** The height that recorded this evidence, if any block did. */
  evidenceHeight(evidence: Uint8Array): bigint | undefined {
    const raw = this.db.get(tableKey(Table.EVIDENCE_INDEX, keccak256(evidence)));
    return raw ? bytesToBigInt(raw) : undefined;
  }

  /** The writes that store `block` as the new canonical head (to `db`, at once). */
  blockOps(
    block: StoredBlock,
    txs: readonly SignedTx[],
    receipts: readonly Receipt[],
    extra: { commit?: Uint8Array | undefined; misbehavior?: Misbehavior[] | undefined } = {},
    isGenesis = false,
  ): BatchOp[] {
    const headerRlp = encodeHeader(block.header);
    const h = heightKey(block.header.number);
    const ops: BatchOp[] = [
      { type: "put", key: tableKey(Table.BLOCK, block.hash), value: rlpEncode([headerRlp, block.txHashes, block.size]) },
      { type: "put", key: tableKey(Table.CANONICAL, h), value: block.hash },
      { type: "put", key: tableKey(Table.RECEIPTS, h), value: encodeReceipts(receipts) },
      { type: "put", key: HEAD_KEY, value: rlpEncode([block.header.number, block.hash]) },
    ];
    if (txs.length > 0) ops.push({ type: "put", key: tableKey(Table.BODY, h), value: rlpEncode(txs.map((tx) => [tx.sender, tx.raw])) });
    if (isGenesis) ops.push({ type: "put", key: GENESIS_KEY, value: block.hash });
    if (extra.commit) ops.push({ type: "put", key: tableKey(Table.COMMIT, h), value: extra.commit });
    if (extra.misbehavior?.length) {
      ops.push({ type: "put", key: tableKey(Table.MISBEHAVIOR, h), value: encodeMisbehavior(extra.misbehavior) });
      for (const m of extra.misbehavior) ops.push({ type: "put", key: tableKey(Table.EVIDENCE_INDEX, keccak256(m.evidence)), value: h });
    }
    return ops;
  }

  /** The transaction index rows of a block (to `indexDb`, with the state). */
  txIndexOps(height: bigint, txs: readonly SignedTx[]): BatchOp[] {
    return txs.map((tx, i) => ({ type: "put", key: tableKey(Table.TX_INDEX, tx.hash), value: rlpEncode([height, i, tx.sender, tx.raw]) }));
  }

  /** A durable block's transactions are findable by hash before their index rows are written. */
  holdUnindexed(height: bigint, txs: readonly SignedTx[]): void {
    if (txs.length === 0) return;
    const keys = txs.map((tx, index) => {
      const k = bytesToHex(tx.hash);
      this.unindexed.set(k, { tx, height, index });
      return k;
    });
    this.unindexedHeights.set(height, keys);
  }

  /** The index rows of blocks up to `height` are written: stop holding their transactions. */
  releaseUnindexed(height: bigint): void {
    for (const [h, keys] of this.unindexedHeights) {
      if (h > height) break;
      for (const k of keys) this.unindexed.delete(k);
      this.unindexedHeights.delete(h);
    }
  }

  /** Keeps the newest blocks and receipts decoded: clients poll the head constantly. */
  remember(block: StoredBlock, receipts: Receipt[]): void {
    this.recentBlocks.set(bytesToHex(block.hash), block);
    this.recentReceipts.set(block.header.number, receipts);
    if (this.recentBlocks.size > RECENT) this.recentBlocks.delete(this.recentBlocks.keys().next().value!);
    if (this.recentReceipts.size > RECENT) this.recentReceipts.delete(this.recentReceipts.keys().next().value!);
  }
}

function corrupt(what: string): ChainError {
  return new ChainError({ code: ChainErrorCode.CORRUPT_DATA, what }, `stored ${what} is malformed`);
}
