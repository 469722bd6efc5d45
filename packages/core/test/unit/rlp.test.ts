import { RLP } from "@ethereumjs/rlp";
import { describe, expect, it } from "vitest";
import { CoreError, CoreErrorCode, type RLPInput, rlpDecode, rlpEncode } from "../../src/index.js";

/** A seeded generator (mulberry32) so a failure names the input that produced it. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInput(r: () => number, depth: number): RLPInput {
  const kind = Math.floor(r() * (depth > 3 ? 7 : 8));
  const len = () => [0, 1, 2, 55, 56, 57, 255, 256, 1024, 70_000][Math.floor(r() * 10)]!;
  switch (kind) {
    case 0:
      return Uint8Array.from({ length: len() }, () => Math.floor(r() * 256));
    case 1:
      return Uint8Array.of(Math.floor(r() * 256));
    case 2:
      return [0, 1, 127, 128, 255, 256, 65_535, 2 ** 32, 2 ** 48, Number.MAX_SAFE_INTEGER][Math.floor(r() * 10)]!;
    case 3:
      return [0n, 1n, 127n, 128n, 2n ** 48n, 2n ** 48n + 1n, 2n ** 64n - 1n, 2n ** 256n - 1n][Math.floor(r() * 8)]!;
    case 4:
      return ["", "a", "zerog", "é∑", "0x", "0x1", "0xabc", "0xdeadbeef", "x".repeat(60)][Math.floor(r() * 9)]!;
    case 5:
      return r() < 0.5 ? null : undefined;
    case 6:
      return new Uint8Array(0);
    default: {
      const n = [0, 1, 2, 3, 20, 60][Math.floor(r() * 6)]!;
      return Array.from({ length: n }, () => randomInput(r, depth + 1));
    }
  }
}

describe("rlpEncode", () => {
  it("produces the bytes @ethereumjs/rlp produces, over 1,500 random nested inputs", () => {
    const r = rng(7);
    for (let i = 0; i < 1_500; i++) {
      const input = randomInput(r, 0);
      const ours = rlpEncode(input);
      expect(Buffer.from(ours).toString("hex"), `input ${i}`).toBe(
        Buffer.from(RLP.encode(input as Parameters<typeof RLP.encode>[0])).toString("hex"),
      );
    }
  });

  it("encodes the edges of the length prefixes and round-trips through rlpDecode", () => {
    for (const n of [0, 1, 55, 56, 255, 256, 65_535, 65_536]) {
      const bytes = new Uint8Array(n).fill(0xaa);
      expect(rlpDecode(rlpEncode(bytes))).toEqual(bytes);
      const list = Array.from({ length: n }, () => Uint8Array.of(1));
      expect(rlpDecode(rlpEncode(list))).toEqual(list);
    }
    expect(rlpEncode(Uint8Array.of(0x7f))).toEqual(Uint8Array.of(0x7f));
    expect(rlpEncode(Uint8Array.of(0x80))).toEqual(Uint8Array.of(0x81, 0x80));
    expect(rlpEncode([])).toEqual(Uint8Array.of(0xc0));
    expect(rlpEncode(0)).toEqual(Uint8Array.of(0x80));
    expect(rlpEncode(1024n)).toEqual(Uint8Array.of(0x82, 0x04, 0x00));
  });

  it("refuses what cannot be encoded with CORE_INVALID_RLP", () => {
    for (const bad of [-1, 1.5, Number.NaN, -1n, "0xzz", { a: 1 } as unknown as RLPInput, [true as unknown as RLPInput]]) {
      let err: unknown;
      try {
        rlpEncode(bad);
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe(CoreErrorCode.INVALID_RLP);
    }
  });
});
