import { type BatchOp, bytesToHex, hexToBytes, type KVStore, keccak256, tableKey } from "@zerog/core";
import { BYTES_PER_CELL } from "../encoder/params.js";
import type { BlobColumns } from "./blobColumns.js";
import { CELL_WITH_PROOF_BYTES } from "./blobColumns.js";

const T = { BLOB: 0x01, COLUMN: 0x02 } as const;

/** A blob is stored under `keccak256(dataRoot ‖ u64be(epoch) ‖ u64be(quorumId))`, the key 0G's nodes use too. */
export function blobKey(dataRoot: Uint8Array, epoch: number, quorumId: number): Uint8Array {
  const b = new Uint8Array(48);
  b.set(dataRoot);
  const v = new DataView(b.buffer);
  v.setBigUint64(32, BigInt(epoch));
  v.setBigUint64(40, BigInt(quorumId));
  return keccak256(b);
}

interface StoredMeta {
  dataRoot: string;
  epoch: number;
  quorumId: number;
  commitments: string[];
  columns: number[];
}

/**
 * The columns a signer verified and signed, in one KV store: per blob its meta (commitments, which columns), per
 * column one value with every row's cell and proof (2,096 bytes a row), written in one atomic batch.
 */
export class CellStore {
  constructor(private readonly db: KVStore) {}

  async put(b: BlobColumns): Promise<void> {
    const key = blobKey(b.dataRoot, b.epoch, b.quorumId);
    const meta: StoredMeta = {
      dataRoot: bytesToHex(b.dataRoot),
      epoch: b.epoch,
      quorumId: b.quorumId,
      commitments: b.commitments.map((c) => bytesToHex(c)),
      columns: b.columns,
    };
    const ops: BatchOp[] = b.columns.map((column, k) => {
      const value = new Uint8Array(b.commitments.length * CELL_WITH_PROOF_BYTES);
      for (let r = 0; r < b.commitments.length; r++) {
        value.set(b.cells[k]![r]!, r * CELL_WITH_PROOF_BYTES);
        value.set(b.proofs[k]![r]!, r * CELL_WITH_PROOF_BYTES + BYTES_PER_CELL);
      }
      return { type: "put", key: tableKey(T.COLUMN, key, new Uint8Array([column])), value };
    });
    // The meta last in the batch's order, though the batch is atomic: a blob is listed only with its columns.
    ops.push({ type: "put", key: tableKey(T.BLOB, key), value: new TextEncoder().encode(JSON.stringify(meta)) });
    await this.db.batch(ops);
  }

  /** The row commitments of a stored blob; undefined if it is not here. */
  commitments(dataRoot: Uint8Array, epoch: number, quorumId: number): Uint8Array[] | undefined {
    const raw = this.db.get(tableKey(T.BLOB, blobKey(dataRoot, epoch, quorumId)));
    return raw && (JSON.parse(new TextDecoder().decode(raw)) as StoredMeta).commitments.map((c) => hexToBytes(c));
  }

  /** The stored columns of a blob (all, or those of `only` that are stored); undefined if the blob is not here. */
  get(dataRoot: Uint8Array, epoch: number, quorumId: number, only?: readonly number[]): BlobColumns | undefined {
    const key = blobKey(dataRoot, epoch, quorumId);
    const raw = this.db.get(tableKey(T.BLOB, key));
    if (!raw) return undefined;
    const meta = JSON.parse(new TextDecoder().decode(raw)) as StoredMeta;
    const columns = only ? meta.columns.filter((c) => only.includes(c)) : meta.columns;
    const cells: Uint8Array[][] = [];
    const proofs: Uint8Array[][] = [];
    for (const column of columns) {
      const value = this.db.get(tableKey(T.COLUMN, key, new Uint8Array([column])))!;
      const cs: Uint8Array[] = [];
      const ps: Uint8Array[] = [];
      for (let r = 0; r < meta.commitments.length; r++) {
        const at = r * CELL_WITH_PROOF_BYTES;
        cs.push(value.subarray(at, at + BYTES_PER_CELL));
        ps.push(value.subarray(at + BYTES_PER_CELL, at + CELL_WITH_PROOF_BYTES));
      }
      cells.push(cs);
      proofs.push(ps);
    }
    return { dataRoot, epoch, quorumId, commitments: meta.commitments.map((c) => hexToBytes(c)), columns, cells, proofs };
  }

  /** Blobs stored. */
  count(): number {
    let n = 0;
    for (const _ of this.db.range({ gte: new Uint8Array([T.BLOB]), lt: new Uint8Array([T.BLOB + 1]) })) n++;
    return n;
  }
}
