import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildExpTable,
  buildTanhTable,
  createRandom,
  decodeUtf8,
  EOT,
  emaWeights,
  type ModelConfig,
  ngramHash,
  requant,
  roundShift,
  Utf8Decoder,
} from "../../src/runtime/index.js";

const config: ModelConfig = {
  arch: "zg-byte-mlp",
  hidden: 16,
  positions: 4,
  ngrams: [2, 3],
  hashBuckets: 64,
  emaWindow: 128,
  emaShift: 5,
  actFrac: 8,
  actRange: 4,
  logitFrac: 10,
};

const sha256Hex = (a: Int8Array | Int32Array) =>
  createHash("sha256")
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest("hex");

describe("runtime integer arithmetic", () => {
  it("requant rounds a·m/2^s half up, exactly, over the whole int32 × uint16 range", () => {
    expect(requant(3, 1, 1)).toBe(2); // 1.5 → 2
    expect(requant(-3, 1, 1)).toBe(-1); // -1.5 → -1
    expect(requant(5, 3, 2)).toBe(4); // 3.75 → 4
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 1, max: 52 }),
        (a, m, s) => {
          const exact = (BigInt(a) * BigInt(m) + (1n << BigInt(s - 1))) >> BigInt(s);
          expect(requant(a, m, s)).toBe(Number(exact));
        },
      ),
      { numRuns: 2000, seed: 1 },
    );
  });

  it("roundShift is an arithmetic shift with rounding", () => {
    expect(roundShift(7, 0)).toBe(7);
    expect(roundShift(6, 2)).toBe(2);
    expect(roundShift(-6, 2)).toBe(-1);
    expect(roundShift(-7, 2)).toBe(-2);
  });

  it("the tanh table is odd, monotone, and within one step of Math.tanh", () => {
    const t = buildTanhTable(8, 4);
    const n = 4 << 8;
    expect(t.length).toBe(2 * n + 1);
    expect(t[n]).toBe(0);
    expect(t[2 * n]).toBe(127);
    for (let i = 0; i <= n; i++) {
      expect(t[n - i]! + t[n + i]!).toBe(0);
      if (i > 0) expect(t[n + i]!).toBeGreaterThanOrEqual(t[n + i - 1]!);
      expect(Math.abs(t[n + i]! - 127 * Math.tanh(i / 256))).toBeLessThanOrEqual(0.5 + 1e-9);
    }
    expect(sha256Hex(t)).toBe("0546fa2287148db2fcca305a93a3492cedaef61563895acd7df1d2574c7fc77f");
  });

  it("the exp table starts at 2^16, decreases, ends where it would round to 0, and matches Math.exp", () => {
    const e = buildExpTable(10, 1 << 16, 64 << 10);
    expect(e[0]).toBe(65536);
    expect(Math.round(65536 * Math.exp(-e.length / 1024))).toBe(0);
    for (let i = 1; i < e.length; i++) {
      expect(e[i]!).toBeLessThanOrEqual(e[i - 1]!);
      expect(Math.abs(e[i]! - 65536 * Math.exp(-i / 1024))).toBeLessThanOrEqual(0.5 + 1e-6);
    }
    // Pinned: any change to the table is a change to every sampled answer.
    expect(e.length).toBe(12067);
    expect(sha256Hex(e)).toBe("05667449b5b1d114b66964af2e14c8eab421ccb03b974fcd7072964449c5fe7a");
  });

  it("EMA weights decay by 1/32 per token in integers", () => {
    const w = emaWeights(config);
    expect(w[0]).toBe(32768);
    expect(w[1]).toBe(32768 - 1024);
    for (let j = 1; j < w.length; j++) expect(w[j]).toBe(w[j - 1]! - (w[j - 1]! >> 5));
  });

  it("n-gram hashes are pinned (training and inference must agree forever)", () => {
    const tokens = Array.from(new TextEncoder().encode("zerog"));
    expect([2, 3, 8].map((o) => ngramHash(tokens, 5, o))).toEqual([421265771, 586209729, 2690470613]);
    // Before the start the context reads as end-of-text.
    expect(ngramHash(tokens, 1, 3)).toBe(ngramHash([EOT, EOT, tokens[0]!], 3, 3));
  });

  it("the sampler's random numbers are pinned per seed, negative and large seeds included", () => {
    const first = (seed: number) => Array.from({ length: 3 }, createRandom(seed));
    expect(first(0)).toEqual(first(0));
    expect(first(0)).not.toEqual(first(1));
    expect(first(-1)).not.toEqual(first(2 ** 32 - 1));
    expect(first(0)).toEqual([1427488602, 1980682239, 456575201]);
  });
});

describe("UTF-8 decoding", () => {
  it("matches TextDecoder on any bytes, however they are split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(64), { maxLength: 6 }), (bytes, cuts) => {
        const expected = new TextDecoder().decode(bytes);
        expect(decodeUtf8(bytes)).toBe(expected);
        const d = new Utf8Decoder();
        const points = [0, ...cuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b), bytes.length];
        let text = "";
        for (let k = 1; k < points.length; k++) {
          const piece = d.decode(bytes, points[k - 1]!, points[k]!);
          // A piece never ends inside a character: re-encoding gives back whole characters only.
          expect(piece.includes("\ud800")).toBe(false);
          text += piece;
        }
        expect(text + d.end()).toBe(expected);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it("holds back an unfinished character until its last byte", () => {
    const euro = [0xe2, 0x82, 0xac];
    const d = new Utf8Decoder();
    expect(d.decode(euro, 0, 1)).toBe("");
    expect(d.decode(euro, 1, 2)).toBe("");
    expect(d.decode(euro, 2, 3)).toBe("€");
    expect(d.decode([0xf0, 0x9f])).toBe("");
    expect(d.end()).toBe("\ufffd");
  });
});
