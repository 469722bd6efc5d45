import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64, decodeBase64InPlace, decodePortable, encodePortable } from "../../src/storage/base64.js";

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

  it("decodes in place what base64ToBytes decodes, and refuses what it refuses", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ !\\";
    const texts = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString("base64")),
      fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((c) => c.join("")),
    );
    fc.assert(
      fc.property(texts, fc.nat({ max: 5 }), (text, lead) => {
        const buf = new Uint8Array(lead + text.length + 3).fill(0x22);
        buf.set(Buffer.from(text, "latin1"), lead);
        const n = decodeBase64InPlace(buf, lead, lead + text.length);
        const want = base64ToBytes(text);
        if (n >= 0) expect(buf.subarray(lead, lead + n)).toEqual(want);
        else if (want !== null) expect(/[-_]/.test(text)).toBe(true); // Node's Buffer also takes base64url characters
      }),
      { seed: 43, numRuns: 1000 },
    );
  });
});
