import { hashFile } from "@zerog/core/merkle";
import { toHex } from "viem";
import { describe, expect, it } from "vitest";
import { createBytesSource, createMemorySink, downloadFile, StorageClientError, StorageNodeClient } from "../../src/index.js";
import { planBatches } from "../../src/storage/downloadFile.js";
import { segmentToJSON } from "../../src/storage/nodeClient.js";
import { readSegment } from "../../src/storage/segments.js";
import type { PlacedNode } from "../../src/storage/shards.js";

const SEGMENT = 262_144;

interface Call {
  id: number;
  method: string;
  params: unknown[];
}

/** A fake storage node over `fetch`: one shard of an in-memory file, JSON-RPC batches, tamper hooks, a request log. */
async function fakeNode(
  data: Uint8Array,
  shard: { shardId: number; numShard: number },
  opts: { noBatch?: boolean; corrupt?: Set<number>; missing?: Set<number> } = {},
) {
  const { root, tree } = hashFile(data);
  const rootHex = toHex(root);
  const source = createBytesSource(data);
  const posts: number[] = [];
  const answer = async (c: Call) => {
    const reply = (result: unknown) => ({ jsonrpc: "2.0", id: c.id, result });
    switch (c.method) {
      case "zgs_getShardConfig":
        return reply(shard);
      case "zgs_getFileInfo":
        return reply({
          tx: { seq: 5, size: data.length, startEntryIndex: 0, dataMerkleRoot: rootHex, streamIds: [], data: [], merkleNodes: [] },
          finalized: true,
          isCached: false,
          uploadedSegNum: 0,
        });
      case "zgs_downloadSegmentWithProofByTxSeq": {
        const index = c.params[1] as number;
        if (index % shard.numShard !== shard.shardId || opts.missing?.has(index) || (index !== 999 && index * SEGMENT >= data.length))
          return reply(null);
        if (index === 999) return { jsonrpc: "2.0", id: c.id, error: { code: -32000, message: "boom" } };
        const seg = segmentToJSON(await readSegment(source, tree, rootHex, index));
        if (opts.corrupt?.has(index)) seg.data = `${seg.data.startsWith("A") ? "B" : "A"}${seg.data.slice(1)}`;
        return reply(seg);
      }
      default:
        return { jsonrpc: "2.0", id: c.id, error: { code: -32601, message: "unknown" } };
    }
  };
  const fetchFn = (async (_url: string, init: { method?: string; body: string }) => {
    // Like 0G's own nodes: no binary segments route, so the client keeps to JSON-RPC batches.
    if (init.method === "GET") return new Response("not found", { status: 404 });
    const msg = JSON.parse(init.body) as Call | Call[];
    posts.push(Array.isArray(msg) ? msg.length : 1);
    let out: unknown;
    if (!Array.isArray(msg)) out = await answer(msg);
    else if (opts.noBatch) out = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "batches not supported" } };
    else out = (await Promise.all(msg.map(answer))).reverse(); // any order: matched by id
    return new Response(JSON.stringify(out), { headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch;
  return { client: new StorageNodeClient(`http://node-${shard.shardId}-${posts.length}.test`, { fetch: fetchFn }), posts, root: rootHex };
}

const file = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + (i >> 9)) & 0xff);

describe("batched download", () => {
  it("fetches several segments per request per node and writes the file in order", async () => {
    const data = file(21 * SEGMENT - 777);
    const a = await fakeNode(data, { shardId: 0, numShard: 2 });
    const b = await fakeNode(data, { shardId: 1, numShard: 2 });
    for (const [batchSize, concurrency] of [
      [1, 1],
      [4, 2],
      [8, 3],
      [64, 1],
    ] as const) {
      a.posts.length = 0;
      b.posts.length = 0;
      const sink = createMemorySink();
      await downloadFile({ root: a.root, nodes: [a.client, b.client], sink, batchSize, concurrency });
      expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
      expect(Math.max(...a.posts, ...b.posts)).toBe(Math.min(batchSize, 11));
    }
  });

  it("a bad or missing segment inside a batch fails over to another holder on its own", async () => {
    const data = file(9 * SEGMENT + 5);
    const bad = await fakeNode(data, { shardId: 0, numShard: 1 }, { corrupt: new Set([2]), missing: new Set([5]) });
    const good = await fakeNode(data, { shardId: 0, numShard: 1 });
    const sink = createMemorySink();
    await downloadFile({ root: bad.root, nodes: [bad.client, good.client], sink, batchSize: 4, concurrency: 2 });
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
  });

  it("with no good copy the error names the segment, and only verified segments before it were written", async () => {
    const data = file(6 * SEGMENT);
    const bad = await fakeNode(data, { shardId: 0, numShard: 1 }, { corrupt: new Set([3]) });
    const sink = createMemorySink();
    const err = await downloadFile({ root: bad.root, nodes: [bad.client], sink, batchSize: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageClientError);
    expect(err.message).toContain("segment 3");
    expect(sink.bytes().length).toBe(3 * SEGMENT);
  });

  it("a node that refuses batches is asked one segment per request", async () => {
    const data = file(5 * SEGMENT);
    const node = await fakeNode(data, { shardId: 0, numShard: 1 }, { noBatch: true });
    const got = await node.client.downloadSegmentsWithProofByTxSeq(5, [0, 1, 2, 7]);
    expect(got.slice(0, 3).map((s) => (s as { index: number }).index)).toEqual([0, 1, 2]);
    expect(got[3]).toBeNull();
    const sink = createMemorySink();
    await downloadFile({ root: node.root, nodes: [node.client], sink, batchSize: 4 });
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
    expect(node.posts.filter((n) => n > 1)).toEqual([4]); // only the first batch was tried
  });

  it("per-call errors in a batch come back in place, the others decoded", async () => {
    const data = file(3 * SEGMENT);
    const node = await fakeNode(data, { shardId: 0, numShard: 1 });
    const got = await node.client.downloadSegmentsWithProofByTxSeq(5, [1, 999, 2]);
    expect((got[0] as { index: number }).index).toBe(1);
    expect(got[1]).toBeInstanceOf(StorageClientError);
    expect((got[1] as Error).message).toMatch(/boom/);
    expect((got[2] as { data: Uint8Array }).data.length).toBe(SEGMENT);
  });
});

describe("planBatches", () => {
  it("groups each node's segments, orders batches by their last segment, and covers every segment once", () => {
    const n = (id: number) => ({ client: { url: `u${id}` }, txSeq: 0 }) as unknown as PlacedNode;
    const [x, y] = [n(0), n(1)];
    const holders = Array.from({ length: 11 }, (_, i) => (i % 2 === 0 ? [x] : [y]));
    const { batches, batchOf } = planBatches(holders, 3);
    expect(batches.map((b) => b.indices)).toEqual([
      [0, 2, 4],
      [1, 3, 5],
      [6, 8, 10],
      [7, 9],
    ]);
    expect(batchOf).toEqual([0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2]);
  });
});
