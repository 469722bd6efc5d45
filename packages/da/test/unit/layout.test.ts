import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BYTES_PER_ROW,
  blobToRows,
  DATA_BYTES_PER_ROW,
  DaError,
  DaErrorCode,
  MAX_BLOB_BYTES,
  MAX_ROWS,
  rowCount,
  rowsToBlob,
} from "../../src/index.js";

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof DaError ? e.type.code : `not a DaError: ${e}`;
  }
  return "no error";
};

describe("blob layout (EIP-4844 rows, 31 data bytes per field element)", () => {
  it("random blobs of random sizes round-trip, every field element canonical (first byte 0)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * DATA_BYTES_PER_ROW + 10 }), fc.integer(), (size, seed) => {
        const data = new Uint8Array(size).map((_, i) => (i * 131 + seed) & 0xff);
        const rows = blobToRows(data);
        expect(rows.length).toBe(rowCount(size));
        expect(rows.length).toBe(Math.ceil((size + 4) / DATA_BYTES_PER_ROW));
        for (const row of rows) {
          expect(row.length).toBe(BYTES_PER_ROW);
          for (let e = 0; e < 4096; e++) expect(row[e * 32]).toBe(0);
        }
        expect(Buffer.from(rowsToBlob(rows)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 40, seed: 42 },
    );
  });

  it("puts the big-endian length first and the data after it, 31 bytes per element", () => {
    const rows = blobToRows(new Uint8Array(40).map((_, i) => i + 1));
    expect([...rows[0]!.subarray(0, 32)]).toEqual([0, 0, 0, 0, 40, ...Array.from({ length: 27 }, (_, i) => i + 1)]);
    expect([...rows[0]!.subarray(32, 46)]).toEqual([0, ...Array.from({ length: 13 }, (_, i) => i + 28)]);
    expect(rows[0]!.subarray(46).every((b) => b === 0)).toBe(true);
  });

  it("sizes at the row boundary and the 16 MiB limit", () => {
    expect(rowCount(DATA_BYTES_PER_ROW - 4)).toBe(1);
    expect(rowCount(DATA_BYTES_PER_ROW - 3)).toBe(2);
    expect(rowCount(MAX_BLOB_BYTES)).toBe(MAX_ROWS);
    expect(MAX_ROWS).toBe(133);
    const big = new Uint8Array(MAX_BLOB_BYTES).map((_, i) => i & 0xff);
    expect(Buffer.from(rowsToBlob(blobToRows(big))).equals(Buffer.from(big))).toBe(true);
    for (const size of [0, MAX_BLOB_BYTES + 1, -1, 1.5]) expect(code(() => rowCount(size))).toBe(DaErrorCode.BLOB_SIZE);
    expect(code(() => blobToRows(new Uint8Array(0)))).toBe(DaErrorCode.BLOB_SIZE);
  });

  it("refuses rows that are not a blob's encoding", () => {
    const rows = () => blobToRows(new Uint8Array(1000).fill(9));
    const topByte = rows();
    topByte[0]![32 * 7] = 1;
    const padding = rows();
    padding[0]![32 * 100 + 5] = 1;
    const prefix = rows();
    prefix[0]![2] = 0x10; // claims 1 MiB more: more than one row holds
    const tooMany = [...rows(), new Uint8Array(BYTES_PER_ROW)];
    const short = [rows()[0]!.subarray(1)];
    for (const bad of [topByte, padding, prefix, tooMany, short, []]) expect(code(() => rowsToBlob(bad))).toBe(DaErrorCode.BAD_ENCODING);
  });
});
