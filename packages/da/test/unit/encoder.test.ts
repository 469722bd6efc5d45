import { keccak256, keccak256Parts } from "@zerog/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CELLS_PER_ROW,
  type CellWithProof,
  DATA_BYTES_PER_ROW,
  DaError,
  DaErrorCode,
  dataRootOf,
  decodeBlob,
  type EncodedBlob,
  encodeBlob,
  loadKZG,
  recoverRow,
  verifyCells,
} from "../../src/index.js";

const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 167 + seed * 31 + (i >> 8)) & 0xff);
const cellsOf = (blob: EncodedBlob, row: number, columns: readonly number[]): CellWithProof[] =>
  columns.map((column) => ({ row, column, cell: blob.rows[row]!.cells[column]!, proof: blob.rows[row]!.proofs[column]! }));
const all = [...Array(CELLS_PER_ROW).keys()];

// Two rows (the second partly padding): every KZG operation below works on it.
const data = bytes(DATA_BYTES_PER_ROW + 5000, 1);
let blob: EncodedBlob;

beforeAll(() => {
  loadKZG();
  blob = encodeBlob(data);
}, 60_000);

describe("KZG encoding (c-kzg 4, EIP-7594 cells)", () => {
  it("commits each row, extends it to 128 cells with proofs that verify, and decodes back", () => {
    expect(blob.rows.length).toBe(2);
    expect(blob.size).toBe(data.length);
    for (const [r, row] of blob.rows.entries()) {
      expect(row.commitment.length).toBe(48);
      expect(row.cells.length).toBe(CELLS_PER_ROW);
      expect(verifyCells([blob.rows[0]!.commitment, blob.rows[1]!.commitment], cellsOf(blob, r, all))).toBe(true);
    }
    expect(Buffer.from(decodeBlob(blob.rows.map((r) => r.cells))).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(blob.dataRoot).equals(Buffer.from(dataRootOf(blob.rows.map((r) => r.commitment))))).toBe(true);
  });

  it("any 64 of a row's 128 cells recover it, cells and proofs", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: 64, maxLength: 64 }), fc.integer({ min: 0, max: 1 }), (columns, row) => {
        const got = recoverRow(
          row,
          columns,
          columns.map((c) => blob.rows[row]!.cells[c]!),
        );
        for (const c of all) {
          expect(Buffer.from(got.cells[c]!).equals(Buffer.from(blob.rows[row]!.cells[c]!))).toBe(true);
          expect(Buffer.from(got.proofs[c]!).equals(Buffer.from(blob.rows[row]!.proofs[c]!))).toBe(true);
        }
      }),
      { numRuns: 4, seed: 7 },
    );
  });

  it("fewer than 64 distinct cells, a repeated index or a short cell cannot recover", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof DaError ? e.type.code : String(e);
      }
      return "no error";
    };
    const cells = (cols: number[]) => cols.map((c) => blob.rows[0]!.cells[c]!);
    const c63 = all.slice(0, 63);
    expect(code(() => recoverRow(0, c63, cells(c63)))).toBe(DaErrorCode.CANNOT_RECOVER);
    const dup = [...c63, 5];
    expect(code(() => recoverRow(0, dup, cells(dup)))).toBe(DaErrorCode.CANNOT_RECOVER);
    const c64 = all.slice(0, 64);
    const short = cells(c64).map((c, k) => (k === 3 ? c.subarray(1) : c));
    expect(code(() => recoverRow(0, c64, short))).toBe(DaErrorCode.CANNOT_RECOVER);
    expect(code(() => recoverRow(0, [...c63, 128], cells([...c63, 0])))).toBe(DaErrorCode.CANNOT_RECOVER);
  });

  it("one flipped byte in a cell or its proof, or the wrong position, fails the proof", () => {
    const commitments = blob.rows.map((r) => r.commitment);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 127 }),
        fc.integer({ min: 0, max: 2047 }),
        fc.integer({ min: 1, max: 255 }),
        (column, at, x) => {
          const [good] = cellsOf(blob, 1, [column]);
          const cell = new Uint8Array(good!.cell); // a copy: c-kzg returns Buffers, whose slice() is a view
          cell[at]! ^= x;
          expect(verifyCells(commitments, [{ ...good!, cell }])).toBe(false);
        },
      ),
      { numRuns: 12, seed: 3 },
    );
    const [good] = cellsOf(blob, 0, [9]);
    const proof = new Uint8Array(good!.proof);
    proof[20]! ^= 1;
    expect(verifyCells(commitments, [{ ...good!, proof }])).toBe(false);
    expect(verifyCells(commitments, [{ ...good!, column: 10 }])).toBe(false);
    expect(verifyCells(commitments, [{ ...good!, row: 1 }])).toBe(false);
    expect(verifyCells(commitments, [{ ...good!, row: 2 }])).toBe(false);
    expect(verifyCells(commitments, [{ ...good!, cell: good!.cell.subarray(1) }])).toBe(false);
    // One bad cell in a batch fails the batch.
    const batch = cellsOf(blob, 0, all.slice(0, 10));
    expect(verifyCells(commitments, batch)).toBe(true);
    expect(verifyCells(commitments, [...batch, { ...good!, column: 11 }])).toBe(false);
  });
});

describe("data root", () => {
  it("is the keccak tree over keccak(commitment), odd nodes paired with zero", () => {
    const c = [1, 2, 3].map((k) => new Uint8Array(48).fill(k));
    const [l0, l1, l2] = c.map((x) => keccak256(x));
    const zero = new Uint8Array(32);
    expect(dataRootOf(c.slice(0, 1))).toEqual(l0);
    expect(dataRootOf(c.slice(0, 2))).toEqual(keccak256Parts([l0!, l1!]));
    expect(dataRootOf(c)).toEqual(keccak256Parts([keccak256Parts([l0!, l1!]), keccak256Parts([l2!, zero])]));
    // Any change to any commitment, or its order, changes the root.
    expect(dataRootOf([c[1]!, c[0]!, c[2]!])).not.toEqual(dataRootOf(c));
  });
});
