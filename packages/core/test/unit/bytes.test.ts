import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bigIntToBytes, bigIntToPaddedBytes, bytesToBigInt, bytesToHex, bytesToHexKey } from "../../src/index.js";

/** The obvious definition, for comparison. */
function viaHex(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString("hex")}`);
}

describe("bytesToBigInt", () => {
  it("agrees with the hex-string definition at every length up to 40 bytes", () => {
    for (let len = 0; len <= 40; len++) {
      for (let k = 0; k < 50; k++) {
        const b = new Uint8Array(randomBytes(len));
        expect(bytesToBigInt(b)).toBe(viaHex(b));
      }
      expect(bytesToBigInt(new Uint8Array(len).fill(0xff))).toBe(len === 0 ? 0n : (1n << BigInt(8 * len)) - 1n);
    }
  });

  it("reads a view at an unaligned offset without touching the bytes around it", () => {
    const backing = new Uint8Array(randomBytes(64));
    for (const [off, len] of [
      [1, 32],
      [3, 9],
      [5, 17],
      [31, 33],
    ] as const) {
      const view = backing.subarray(off, off + len);
      expect(bytesToBigInt(view)).toBe(viaHex(view));
    }
  });

  it("inverts bigIntToBytes and bigIntToPaddedBytes", () => {
    for (const v of [1n, 255n, 256n, 2n ** 48n - 1n, 2n ** 48n, 2n ** 64n + 7n, 2n ** 255n + 12345n, 2n ** 256n - 1n]) {
      expect(bytesToBigInt(bigIntToBytes(v))).toBe(v);
      expect(bytesToBigInt(bigIntToPaddedBytes(v, 32))).toBe(v);
    }
  });
});

describe("bytesToHex / bytesToHexKey", () => {
  it("agree with Buffer's hex at every length up to 70 bytes, on views at unaligned offsets", () => {
    const backing = new Uint8Array(randomBytes(80));
    for (let len = 0; len <= 70; len++) {
      for (const off of [0, 1, 3, 10]) {
        const view = backing.subarray(off, off + len);
        const expected = Buffer.from(view).toString("hex");
        expect(bytesToHexKey(view)).toBe(expected);
        expect(bytesToHex(view)).toBe(`0x${expected}`);
      }
    }
    expect(bytesToHex(Uint8Array.of(0, 0x0f, 0xf0, 0xff))).toBe("0x000ff0ff");
  });
});
