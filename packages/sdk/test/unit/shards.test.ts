import { describe, expect, it } from "vitest";
import { StorageClientErrorCode, StorageNodeClient } from "../../src/index.js";
import { type PlacedNode, segmentHolders } from "../../src/storage/shards.js";

const node = (url: string, shardId: number, numShard: number, startSegment = 0): PlacedNode => ({
  client: new StorageNodeClient(url),
  shard: { shardId, numShard },
  txSeq: 0,
  startSegment,
});

describe("segmentHolders", () => {
  it("assigns flow segment i to the nodes with i % numShard == shardId", () => {
    const a = node("http://a:1", 0, 2, 3);
    const b = node("http://b:1", 1, 2, 3);
    const c = node("http://c:1", 1, 4, 3);
    const h = segmentHolders([a, b, c], 4);
    // file segment i is flow segment 3 + i
    expect(h.map((x) => x.map((n) => n.client.url))).toEqual([
      ["http://b:1"],
      ["http://a:1"],
      ["http://b:1", "http://c:1"],
      ["http://a:1"],
    ]);
  });

  it("names the uncovered segments and shards", () => {
    const a = node("http://a:1", 0, 4);
    const b = node("http://b:1", 1, 2);
    try {
      segmentHolders([a, b], 6);
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe(StorageClientErrorCode.SHARDS_NOT_COVERED);
      expect((e as Error).message).toMatch(/segment 2 \(flow segment 2, shard 2\/4\)/);
      expect((e as Error).message).toMatch(/http:\/\/a:1 \(shard 0\/4\)/);
    }
  });

  it("a small file needs only the shards of its segments", () => {
    expect(segmentHolders([node("http://a:1", 1, 2, 1)], 1)).toHaveLength(1);
  });
});
