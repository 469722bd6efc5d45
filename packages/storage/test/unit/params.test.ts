import { RawJSONString } from "@zerog/core";
import { describe, expect, it } from "vitest";
import { decodeBase64, decodeBase64Bytes, segmentParam } from "../../src/rpc/params.js";

describe("decodeBase64", () => {
  it("accepts standard base64 with padding", () => {
    for (const n of [0, 1, 2, 3, 256, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);
      expect(decodeBase64(Buffer.from(bytes).toString("base64"))).toEqual(bytes);
    }
  });

  it("rejects missing padding, url-safe and foreign characters", () => {
    for (const bad of ["QQ", "QUJ", "QU=J", "Q!==", "ab-_", "QUJD\n", "QUJD QUJD"])
      expect(() => decodeBase64(bad), bad).toThrow("invalid base64");
  });
});

describe("decodeBase64Bytes (long data strings lifted out of the request)", () => {
  /** What the string path answers: the bytes, or the error message. */
  const viaString = (s: string) => {
    try {
      return decodeBase64(s);
    } catch (e) {
      return (e as Error).message;
    }
  };
  const viaBytes = (s: string) => {
    try {
      return decodeBase64Bytes(Buffer.from(s, "latin1"));
    } catch (e) {
      return (e as Error).message;
    }
  };

  it("agrees with decodeBase64 on valid input across 64 KiB pieces", () => {
    for (const n of [0, 1, 2, 3, 49151, 49152, 49153, 98304, 262144]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const s = Buffer.from(bytes).toString("base64");
      expect(viaBytes(s), String(n)).toEqual(bytes);
    }
  });

  it("rejects what decodeBase64 rejects, wherever the bad character sits", () => {
    const good = Buffer.from(Uint8Array.from({ length: 262144 }, (_, i) => i & 0xff)).toString("base64");
    const at = (i: number, c: string) => good.slice(0, i) + c + good.slice(i + c.length);
    const bad = [
      good.slice(0, -1),
      at(10, "!"),
      at(65535, "="),
      at(65532, "===="),
      at(65536, "-"),
      at(200_000, "_"),
      at(100, "\n"),
      at(300, "é"),
      `${good}QQ`,
    ];
    for (const s of bad) {
      expect(viaString(s)).toBe("invalid base64 data");
      expect(viaBytes(s)).toBe("invalid base64 data");
    }
  });

  it("segmentParam takes the data as a string or as RawJSONString bytes", () => {
    const data = Uint8Array.from({ length: 262144 }, (_, i) => (i * 7) & 0xff);
    const b64 = Buffer.from(data).toString("base64");
    const seg = { root: `0x${"11".repeat(32)}`, index: 0, proof: { lemma: [`0x${"22".repeat(32)}`], path: [] }, fileSize: 262144 };
    const a = segmentParam().parse({ ...seg, data: b64 });
    const b = segmentParam().parse({ ...seg, data: new RawJSONString(Buffer.from(b64)) });
    expect(b).toEqual(a);
    expect(b.data).toEqual(data);
    expect(() => segmentParam().parse({ ...seg, data: 5 })).toThrow("expected string, got number");
  });
});

describe("shardsIntersect", () => {
  it("treats id/num as a binary prefix", async () => {
    const { shardsIntersect } = await import("../../src/sync/fileSync.js");
    expect(shardsIntersect({ shardId: 1, numShard: 2 }, { shardId: 3, numShard: 4 })).toBe(true);
    expect(shardsIntersect({ shardId: 1, numShard: 2 }, { shardId: 2, numShard: 4 })).toBe(false);
    expect(shardsIntersect({ shardId: 0, numShard: 1 }, { shardId: 5, numShard: 8 })).toBe(true);
    expect(shardsIntersect({ shardId: 0, numShard: 2 }, { shardId: 1, numShard: 2 })).toBe(false);
  });
});
