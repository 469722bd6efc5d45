import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BLOCK_PART_BYTES,
  decodeBlockPart,
  decodeStatus,
  decodeSyncRequest,
  decodeSyncResponse,
  decodeTxBatch,
  encodeBlockPart,
  encodeStatus,
  encodeSyncRequest,
  encodeSyncResponse,
  encodeTxBatch,
  splitBlock,
} from "../../src/consensus/messages.js";

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const height = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n });

describe("consensus wire messages", () => {
  it("round-trip", () => {
    fc.assert(
      fc.property(height, fc.nat({ max: 1000 }), hash, fc.uint8Array({ maxLength: 300_000 }), (h, round, blockHash, encoded) => {
        const parts = splitBlock(h, round, blockHash, encoded);
        const back = parts.map((p) => decodeBlockPart(encodeBlockPart(p)));
        expect(Buffer.concat(back.map((p) => p.data))).toEqual(Buffer.from(encoded));
        expect(back.every((p) => p.total === parts.length && p.data.length <= BLOCK_PART_BYTES)).toBe(true);
      }),
      { numRuns: 30, seed: 1 },
    );
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 50 }), (txs) => {
        expect(decodeTxBatch(encodeTxBatch(txs))).toEqual(txs);
      }),
      { seed: 2 },
    );
    fc.assert(
      fc.property(height, height, fc.nat({ max: 10_000 }), (a, b, r) => {
        expect(decodeStatus(encodeStatus({ height: a, consensusHeight: b, round: r }))).toEqual({
          height: a,
          consensusHeight: b,
          round: r,
        });
      }),
      { seed: 3 },
    );
    expect(decodeSyncRequest(encodeSyncRequest({ kind: "range", from: 7n, count: 20 }))).toEqual({ kind: "range", from: 7n, count: 20 });
    const bh = new Uint8Array(32).fill(5);
    expect(decodeSyncRequest(encodeSyncRequest({ kind: "block", blockHash: bh }))).toEqual({ kind: "block", blockHash: bh });
    const resp = { blocks: [{ block: Uint8Array.of(1, 2), commit: Uint8Array.of(3) }] };
    expect(decodeSyncResponse(encodeSyncResponse(resp))).toEqual(resp);
  });

  it("rejects malformed input with a coded error, never a crash", () => {
    const decoders = [decodeBlockPart, decodeStatus, decodeSyncRequest, decodeSyncResponse, decodeTxBatch];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (junk) => {
        for (const d of decoders) {
          try {
            d(junk);
          } catch (e) {
            expect((e as Error).message).toMatch(/invalid consensus message/);
          }
        }
      }),
      { numRuns: 500, seed: 4 },
    );
    expect(() => decodeSyncRequest(encodeSyncRequest({ kind: "range", from: 1n, count: 5000 }))).toThrow(/count out of range/);
  });
});
