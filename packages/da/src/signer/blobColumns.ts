import { bytesToHex, hexToBytes, isHex } from "@zerog/core";
import { BYTES_PER_CELL, BYTES_PER_COMMITMENT, BYTES_PER_PROOF, CELLS_PER_ROW, MAX_ROWS } from "../encoder/params.js";
import { DaError, DaErrorCode } from "../errors.js";

/** Bytes of one (cell, proof) pair on the wire and on disk. */
export const CELL_WITH_PROOF_BYTES = BYTES_PER_CELL + BYTES_PER_PROOF;

/** Some columns of a blob: what a signer is sent to sign, stores, and returns on retrieval. */
export interface BlobColumns {
  dataRoot: Uint8Array;
  epoch: number;
  quorumId: number;
  /** Every row's commitment, in row order (the data root is their tree). */
  commitments: Uint8Array[];
  /** Column indices, ascending. */
  columns: number[];
  /** `cells[k][row]` and `proofs[k][row]` belong to column `columns[k]`. */
  cells: Uint8Array[][];
  proofs: Uint8Array[][];
}

interface Meta {
  dataRoot: string;
  epoch: number;
  quorumId: number;
  commitments: string[];
  columns: number[];
}

/**
 * `u32be(metaLength) ‖ meta (UTF-8 JSON {dataRoot, epoch, quorumId, commitments, columns}) ‖ data`, data being, per
 * column in order, per row in order, the 2,048-byte cell and its 48-byte proof.
 */
export function encodeBlobColumns(b: BlobColumns): Uint8Array {
  const meta: Meta = {
    dataRoot: bytesToHex(b.dataRoot),
    epoch: b.epoch,
    quorumId: b.quorumId,
    commitments: b.commitments.map((c) => bytesToHex(c)),
    columns: b.columns,
  };
  const head = new TextEncoder().encode(JSON.stringify(meta));
  const rows = b.commitments.length;
  const out = new Uint8Array(4 + head.length + b.columns.length * rows * CELL_WITH_PROOF_BYTES);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  let off = 4 + head.length;
  for (let k = 0; k < b.columns.length; k++) {
    for (let r = 0; r < rows; r++) {
      out.set(b.cells[k]![r]!, off);
      out.set(b.proofs[k]![r]!, off + BYTES_PER_CELL);
      off += CELL_WITH_PROOF_BYTES;
    }
  }
  return out;
}

/** Inverse of `encodeBlobColumns` for untrusted bytes: any deviation is `BAD_REQUEST` naming it. Cells are views. */
export function decodeBlobColumns(bytes: Uint8Array): BlobColumns {
  if (bytes.length < 4) throw bad("the body is shorter than its 4-byte meta length");
  const metaLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + metaLength > bytes.length) throw bad("the meta runs past the end of the body");
  let meta: Partial<Meta>;
  try {
    meta = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4, 4 + metaLength))) as Partial<Meta>;
  } catch {
    throw bad("the meta is not UTF-8 JSON");
  }
  if (typeof meta !== "object" || meta === null) throw bad("the meta is not an object");
  const dataRoot = hash32(meta.dataRoot, "dataRoot");
  const epoch = index(meta.epoch, "epoch");
  const quorumId = index(meta.quorumId, "quorumId");
  if (!Array.isArray(meta.commitments) || meta.commitments.length < 1 || meta.commitments.length > MAX_ROWS)
    throw bad(`commitments must be a list of 1 to ${MAX_ROWS} row commitments`);
  const commitments = meta.commitments.map((c, r) => {
    if (typeof c !== "string" || !isHex(c) || c.length !== 2 + 2 * BYTES_PER_COMMITMENT)
      throw bad(`commitment ${r} is not 48 bytes of hex`);
    return hexToBytes(c);
  });
  if (!Array.isArray(meta.columns) || meta.columns.length > CELLS_PER_ROW) throw bad("columns must be a list of column indices");
  const columns = meta.columns.map((c, k) => {
    if (!Number.isInteger(c) || c < 0 || c >= CELLS_PER_ROW) throw bad(`column ${String(c)} is not in 0..${CELLS_PER_ROW - 1}`);
    if (k > 0 && c <= meta.columns![k - 1]!) throw bad("columns must be strictly ascending");
    return c as number;
  });
  const rows = commitments.length;
  const expected = 4 + metaLength + columns.length * rows * CELL_WITH_PROOF_BYTES;
  if (bytes.length !== expected)
    throw bad(`the body has ${bytes.length} bytes; ${columns.length} columns of ${rows} rows take ${expected}`);
  const cells: Uint8Array[][] = [];
  const proofs: Uint8Array[][] = [];
  let off = 4 + metaLength;
  for (let k = 0; k < columns.length; k++) {
    const cs: Uint8Array[] = [];
    const ps: Uint8Array[] = [];
    for (let r = 0; r < rows; r++) {
      cs.push(bytes.subarray(off, off + BYTES_PER_CELL));
      ps.push(bytes.subarray(off + BYTES_PER_CELL, off + CELL_WITH_PROOF_BYTES));
      off += CELL_WITH_PROOF_BYTES;
    }
    cells.push(cs);
    proofs.push(ps);
  }
  return { dataRoot, epoch, quorumId, commitments, columns, cells, proofs };
}

export function hash32(v: unknown, name: string): Uint8Array {
  if (typeof v !== "string" || !isHex(v) || v.length !== 66) throw bad(`${name} must be 32 bytes of 0x-hex`);
  return hexToBytes(v);
}

export function index(v: unknown, name: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(`${name} must be a non-negative integer`);
  return v as number;
}

function bad(detail: string): DaError {
  return new DaError({ code: DaErrorCode.BAD_REQUEST, detail }, detail);
}
