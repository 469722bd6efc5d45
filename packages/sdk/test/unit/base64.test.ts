import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64, decodePortable, encodePortable } from "../../src/storage/base64.js";

describe("base64", () => {
  it("the portable codec agrees with Node's Buffer both ways", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        expect(encodePortable(bytes)).toBe(text);
        expect(bytesToBase64(bytes)).toBe(text);
        expect(decodePortable(text)).toEqual(bytes);
        expect(base64ToBytes(text)).toEqual(new Uint8Array(bytes));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("encodes a view of a larger buffer without its neighbours", () => {
    const big = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(bytesToBase64(big.subarray(2, 5))).toBe(Buffer.from([3, 4, 5]).toString("base64"));
  });

  it("rejects text outside the alphabet or of a bad length", () => {
    expect(base64ToBytes("abc")).toBeNull();
    expect(base64ToBytes("ab!d")).toBeNull();
    expect(base64ToBytes("a=bc")).toBeNull();
    expect(decodePortable("ab\u00e9d")).toBeNull();
  });
});
