import { rlpEncode } from "@zerog/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BLOCK_PART_BYTES,
  decodeBlockPart,
  decodeBlockPreview,
  decodeStatus,
  decodeSyncRequest,
  decodeSyncResponse,
  decodeTxBatch,
  encodeBlockPart,
  encodeBlockPreview,
  encodeStatus,
  encodeSyncRequest,
  encodeSyncResponse,
  encodeTxBatch,
  MAX_PREVIEW_TXS,
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
    const decoders = [decodeBlockPart, decodeBlockPreview, decodeStatus, decodeSyncRequest, decodeSyncResponse, decodeTxBatch];
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

  it("block previews round-trip and refuse hash lists of the wrong shape or size", () => {
    fc.assert(
      fc.property(
        height,
        fc.nat({ max: 1000 }),
        height,
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.array(hash, { maxLength: 300 }),
        (h, round, timestamp, coinbase, txHashes) => {
          const p = { height: h, round, timestamp, coinbase, txHashes };
          expect(decodeBlockPreview(encodeBlockPreview(p))).toEqual(p);
        },
      ),
      { numRuns: 50, seed: 5 },
    );
    const coinbase = new Uint8Array(20).fill(1);
    const raw = (hashes: Uint8Array, cb = coinbase) => rlpEncode([5n, 0, 1_700_000_000n, cb, hashes]);
    expect(decodeBlockPreview(raw(new Uint8Array(0))).txHashes).toEqual([]);
    expect(() => decodeBlockPreview(raw(new Uint8Array(33)))).toThrow(/hashes out of range/);
    expect(() => decodeBlockPreview(raw(new Uint8Array(32 * (MAX_PREVIEW_TXS + 1))))).toThrow(/hashes out of range/);
    expect(decodeBlockPreview(raw(new Uint8Array(32 * MAX_PREVIEW_TXS))).txHashes).toHaveLength(MAX_PREVIEW_TXS);
    expect(() => decodeBlockPreview(raw(new Uint8Array(64), new Uint8Array(19)))).toThrow(/wrong shape/);
    expect(() => decodeBlockPreview(rlpEncode([5n, 0, 1n, coinbase]))).toThrow(/list of 5/);
  });
});
