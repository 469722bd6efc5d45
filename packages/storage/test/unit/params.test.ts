import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../../src/rpc/params.js";

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

describe("shardsIntersect", () => {
  it("treats id/num as a binary prefix", async () => {
    const { shardsIntersect } = await import("../../src/sync/fileSync.js");
    expect(shardsIntersect({ shardId: 1, numShard: 2 }, { shardId: 3, numShard: 4 })).toBe(true);
    expect(shardsIntersect({ shardId: 1, numShard: 2 }, { shardId: 2, numShard: 4 })).toBe(false);
    expect(shardsIntersect({ shardId: 0, numShard: 1 }, { shardId: 5, numShard: 8 })).toBe(true);
    expect(shardsIntersect({ shardId: 0, numShard: 2 }, { shardId: 1, numShard: 2 })).toBe(false);
  });
});
