import { type BatchOp, bytesToHex, concatBytes, type Hex, hexToBytes, type KVStore, prefixEnd } from "@zerog/core";
import type { FileProof } from "@zerog/core/merkle";
import { decodeTransaction, encodeTransaction, type Transaction } from "./transaction.js";

/** Key prefixes of the node's LMDB tables. */
const T = {
  META: 0x01,
  TX: 0x02,
  FINALIZED: 0x03,
  SEGMENT: 0x04,
  BLOCK_HASH: 0x05,
} as const;

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

function readU64(b: Uint8Array, at: number): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at));
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** What the node keeps for every segment it stored: the segment root and its proof in the file tree. */
export interface SegmentRecord {
  segmentRoot: Uint8Array;
  proof: FileProof;
}

export function encodeSegmentRecord(r: SegmentRecord): Uint8Array {
  const out = new Uint8Array(32 + 2 + r.proof.lemma.length * 32 + r.proof.path.length);
  out.set(r.segmentRoot, 0);
  new DataView(out.buffer).setUint16(32, r.proof.lemma.length);
  let at = 34;
  for (const h of r.proof.lemma) {
    out.set(h, at);
    at += 32;
  }
  for (const isLeft of r.proof.path) out[at++] = isLeft ? 1 : 0;
  return out;
}

export function decodeSegmentRecord(b: Uint8Array): SegmentRecord {
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(32);
  const lemma: Uint8Array[] = [];
  let at = 34;
  for (let i = 0; i < n; i++, at += 32) lemma.push(b.slice(at, at + 32));
  const path: boolean[] = [];
  for (; at < b.length; at++) path.push(b[at] === 1);
  return { segmentRoot: b.slice(0, 32), proof: { lemma, path } };
}

/** Typed access to the node's tables; writes are returned as batch ops so callers commit them together. */
export class MetaStore {
  readonly db: KVStore;

  constructor(db: KVStore) {
    this.db = db;
  }

  getMeta<T>(name: string): T | undefined {
    const v = this.db.get(concatBytes(Uint8Array.of(T.META), utf8.encode(name)));
    return v === undefined ? undefined : (JSON.parse(fromUtf8.decode(v)) as T);
  }

  putMeta(name: string, value: unknown): BatchOp {
    return { type: "put", key: concatBytes(Uint8Array.of(T.META), utf8.encode(name)), value: utf8.encode(JSON.stringify(value)) };
  }

  putTx(tx: Transaction): BatchOp {
    return { type: "put", key: concatBytes(Uint8Array.of(T.TX), u64(tx.seq)), value: encodeTransaction(tx) };
  }

  deleteTx(seq: number): BatchOp[] {
    return [
      { type: "del", key: concatBytes(Uint8Array.of(T.TX), u64(seq)) },
      { type: "del", key: concatBytes(Uint8Array.of(T.FINALIZED), u64(seq)) },
    ];
  }

  *txs(): Iterable<Transaction> {
    const gte = Uint8Array.of(T.TX);
    for (const { value } of this.db.range({ gte, lt: prefixEnd(gte) })) yield decodeTransaction(value);
  }

  putFinalized(seq: number): BatchOp {
    return { type: "put", key: concatBytes(Uint8Array.of(T.FINALIZED), u64(seq)), value: Uint8Array.of(1) };
  }

  *finalizedSeqs(): Iterable<number> {
    const gte = Uint8Array.of(T.FINALIZED);
    for (const { key } of this.db.range({ gte, lt: prefixEnd(gte) })) yield readU64(key, 1);
  }

  segmentKey(seq: number, index: number): Uint8Array {
    return concatBytes(Uint8Array.of(T.SEGMENT), u64(seq), u32(index));
  }

  putSegment(seq: number, index: number, r: SegmentRecord): BatchOp {
    return { type: "put", key: this.segmentKey(seq, index), value: encodeSegmentRecord(r) };
  }

  getSegment(seq: number, index: number): SegmentRecord | undefined {
    const v = this.db.get(this.segmentKey(seq, index));
    return v === undefined ? undefined : decodeSegmentRecord(v);
  }

  /** Indexes of the stored segments of tx `seq`. */
  segmentIndexes(seq: number): number[] {
    const gte = concatBytes(Uint8Array.of(T.SEGMENT), u64(seq));
    const out: number[] = [];
    for (const { key } of this.db.range({ gte, lt: prefixEnd(gte) }))
      out.push(new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(9));
    return out;
  }

  deleteSegments(seq: number): BatchOp[] {
    return this.segmentIndexes(seq).map((i) => ({ type: "del", key: this.segmentKey(seq, i) }) as BatchOp);
  }

  putBlockHash(n: number, hash: Hex): BatchOp {
    return { type: "put", key: concatBytes(Uint8Array.of(T.BLOCK_HASH), u64(n)), value: hexToBytes(hash) };
  }

  getBlockHash(n: number): Hex | undefined {
    const v = this.db.get(concatBytes(Uint8Array.of(T.BLOCK_HASH), u64(n)));
    return v === undefined ? undefined : bytesToHex(v);
  }

  /** Stored block hashes at or below `n`, highest first. */
  *blockHashesDownFrom(n: number): Iterable<{ number: number; hash: Hex }> {
    const gte = Uint8Array.of(T.BLOCK_HASH);
    for (const { key, value } of this.db.range({ gte, lt: concatBytes(gte, u64(n + 1)), reverse: true }))
      yield { number: readU64(key, 1), hash: bytesToHex(value) };
  }

  deleteBlockHashesAbove(n: number): BatchOp[] {
    const gte = concatBytes(Uint8Array.of(T.BLOCK_HASH), u64(n + 1));
    const out: BatchOp[] = [];
    for (const { key } of this.db.range({ gte, lt: prefixEnd(Uint8Array.of(T.BLOCK_HASH)) })) out.push({ type: "del", key });
    return out;
  }
}
