import { DaError, DaErrorCode } from "../errors.js";
import { dataRootOf } from "./dataRoot.js";
import { loadKZG } from "./kzg.js";
import { blobToRows, rowsToBlob } from "./layout.js";
import { BYTES_PER_CELL, BYTES_PER_COMMITMENT, BYTES_PER_PROOF, CELLS_PER_ROW, DATA_CELLS_PER_ROW } from "./params.js";

/** One row committed and extended: its KZG commitment, its 128 cells (2 KiB each) and one proof per cell. */
export interface EncodedRow {
  commitment: Uint8Array;
  cells: Uint8Array[];
  proofs: Uint8Array[];
}

export interface EncodedBlob {
  /** Bytes of the blob. */
  size: number;
  dataRoot: Uint8Array;
  rows: EncodedRow[];
}

/** Commits row bytes (131,072, `blobToRows`) and extends them into cells with proofs. */
export function encodeRow(row: Uint8Array): EncodedRow {
  const kzg = loadKZG();
  const commitment = kzg.blobToKzgCommitment(row);
  const [cells, proofs] = kzg.computeCellsAndKzgProofs(row);
  return { commitment, cells, proofs };
}

/** Encodes a blob on this thread (`EncoderPool` spreads the rows over worker threads). */
export function encodeBlob(data: Uint8Array): EncodedBlob {
  const rows = blobToRows(data).map(encodeRow);
  return { size: data.length, dataRoot: dataRootOf(rows.map((r) => r.commitment)), rows };
}

/** A cell of an encoded blob with where it sits, as signers store and samplers fetch it. */
export interface CellWithProof {
  row: number;
  column: number;
  cell: Uint8Array;
  proof: Uint8Array;
}

/**
 * Checks cells against their rows' commitments in one batch (`verifyCellKzgProofBatch`). False for any bad cell,
 * proof or position; malformed sizes are false too, never an exception.
 */
export function verifyCells(commitments: readonly Uint8Array[], cells: readonly CellWithProof[]): boolean {
  if (cells.length === 0) return true;
  for (const c of cells) {
    if (!Number.isInteger(c.row) || c.row < 0 || c.row >= commitments.length) return false;
    if (!Number.isInteger(c.column) || c.column < 0 || c.column >= CELLS_PER_ROW) return false;
    if (c.cell.length !== BYTES_PER_CELL || c.proof.length !== BYTES_PER_PROOF) return false;
    if (commitments[c.row]!.length !== BYTES_PER_COMMITMENT) return false;
  }
  try {
    return loadKZG().verifyCellKzgProofBatch(
      cells.map((c) => commitments[c.row]!),
      cells.map((c) => c.column),
      cells.map((c) => c.cell),
      cells.map((c) => c.proof),
    );
  } catch {
    return false; // c-kzg throws on a point that is not on the curve or a scalar that is not canonical
  }
}

/**
 * Row `row` of a blob from any 64 or more of its 128 cells (`recoverCellsAndKzgProofs`): all 128 cells and proofs.
 * The caller checks the result against the row's commitment (`verifyCells`), since recovery trusts its input.
 */
export function recoverRow(
  row: number,
  columns: readonly number[],
  cells: readonly Uint8Array[],
): { cells: Uint8Array[]; proofs: Uint8Array[] } {
  const unique = new Set(columns);
  if (columns.length !== cells.length || unique.size !== columns.length || unique.size < DATA_CELLS_PER_ROW)
    throw cannotRecover(row, `${unique.size} distinct cells given (of ${cells.length}); at least ${DATA_CELLS_PER_ROW} are needed`);
  for (const [k, c] of columns.entries()) {
    if (!Number.isInteger(c) || c < 0 || c >= CELLS_PER_ROW) throw cannotRecover(row, `cell index ${c} is not in 0..127`);
    if (cells[k]!.length !== BYTES_PER_CELL) throw cannotRecover(row, `cell ${c} has ${cells[k]!.length} bytes, not ${BYTES_PER_CELL}`);
  }
  try {
    const [all, proofs] = loadKZG().recoverCellsAndKzgProofs([...columns], [...cells]);
    return { cells: all, proofs };
  } catch (e) {
    throw cannotRecover(row, (e as Error).message);
  }
}

/** Row bytes from its first 64 cells (the extension is systematic: they are the row itself). */
export function rowFromCells(cells: readonly Uint8Array[]): Uint8Array {
  const row = new Uint8Array(DATA_CELLS_PER_ROW * BYTES_PER_CELL);
  for (let c = 0; c < DATA_CELLS_PER_ROW; c++) row.set(cells[c]!, c * BYTES_PER_CELL);
  return row;
}

/** The blob from every row's cells (at least the first 64 of each), after the caller verified them. */
export function decodeBlob(rows: readonly (readonly Uint8Array[])[]): Uint8Array {
  return rowsToBlob(rows.map(rowFromCells));
}

function cannotRecover(row: number, detail: string): DaError {
  return new DaError({ code: DaErrorCode.CANNOT_RECOVER, row, detail }, `cannot recover row ${row}: ${detail}`);
}
