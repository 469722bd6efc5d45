import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATA_BYTES_PER_ROW, DaError, DaErrorCode, EncoderPool, encodeBlob, verifyCells } from "../../src/index.js";

// Worker threads run the built JavaScript (`npm test` builds first).
const workerUrl = new URL("../../dist/encoder/encodeWorker.js", import.meta.url);
const data = new Uint8Array(2 * DATA_BYTES_PER_ROW + 77).map((_, i) => (i * 29 + (i >> 10)) & 0xff);

describe("EncoderPool (worker threads)", () => {
  const pool = new EncoderPool({ workers: 2 }, { workerUrl });
  beforeAll(() => pool.start(), 60_000);
  afterAll(() => pool.stop());

  it("encodes exactly as the calling thread does, concurrent blobs included", async () => {
    const other = data.subarray(0, 1000);
    const [a, b] = await Promise.all([pool.encode(data), pool.encode(other)]);
    const inline = encodeBlob(data);
    expect(a.rows.length).toBe(3);
    expect(Buffer.from(a.dataRoot).equals(Buffer.from(inline.dataRoot))).toBe(true);
    for (const [r, row] of a.rows.entries()) {
      expect(Buffer.from(row.commitment).equals(Buffer.from(inline.rows[r]!.commitment))).toBe(true);
      expect(row.cells.map((c) => Buffer.from(c).toString("hex"))).toEqual(
        inline.rows[r]!.cells.map((c) => Buffer.from(c).toString("hex")),
      );
      expect(row.proofs.map((c) => Buffer.from(c).toString("hex"))).toEqual(
        inline.rows[r]!.proofs.map((c) => Buffer.from(c).toString("hex")),
      );
    }
    expect(b.rows.length).toBe(1);
    const cells = b.rows[0]!.cells.map((cell, column) => ({ row: 0, column, cell, proof: b.rows[0]!.proofs[column]! }));
    expect(verifyCells([b.rows[0]!.commitment], cells)).toBe(true);
  }, 60_000);

  it("refuses a bad blob size before any work, and everything once stopped", async () => {
    await expect(pool.encode(new Uint8Array(0))).rejects.toMatchObject({ type: { code: DaErrorCode.BLOB_SIZE } });
    const stopped = new EncoderPool({ workers: 1 }, { workerUrl });
    await stopped.start();
    await stopped.stop();
    const err = await stopped.encode(data.subarray(0, 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaError);
    expect((err as DaError).type.code).toBe(DaErrorCode.ENCODER_UNAVAILABLE);
  }, 60_000);
});
