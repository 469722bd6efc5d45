import { fileProofToJSON, hashFile } from "@zerog/core/merkle";
import { toHex } from "viem";
import { describe, expect, it } from "vitest";
import { xorshiftBytes } from "../../../core/test/utils/xorshiftBytes.js";
import { createBytesSource, createMemorySink, downloadFile, StorageClientError, StorageNodeClient } from "../../src/index.js";
import { decodeSegmentFrames, SEGMENTS_CONTENT_TYPE } from "../../src/storage/segmentFrames.js";
import { readSegment } from "../../src/storage/segments.js";

const SEGMENT = 262_144;

function frame(meta: object, data?: Uint8Array): Uint8Array {
  const m = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + m.length + (data?.length ?? 0));
  new DataView(out.buffer).setUint32(0, m.length);
  out.set(m, 4);
  if (data) out.set(data, 4 + m.length);
  return out;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** The frames a zerog node sends for `indices` of a file (storage/src/rpc/segmentsRoute.ts), from the file itself. */
async function framesOf(data: Uint8Array, indices: number[], missing = new Set<number>()): Promise<Uint8Array> {
  const { root, tree } = hashFile(data);
  const parts: Uint8Array[] = [];
  for (const index of indices) {
    if (missing.has(index) || index * SEGMENT >= data.length) {
      parts.push(frame({ index, found: false }));
      continue;
    }
    const seg = await readSegment(createBytesSource(data), tree, toHex(root), index);
    parts.push(
      frame(
        { index, found: true, root: toHex(root), fileSize: data.length, proof: fileProofToJSON(seg.proof), length: seg.data.length },
        seg.data,
      ),
    );
  }
  return concat(parts);
}

const bad = (why: string) =>
  new StorageClientError({ code: "STORAGE_CLIENT_NODE_BAD_RESPONSE" as never, url: "x", method: "m", reason: why }, why);
const decode = (r: unknown) => r as never;

describe("binary segment frames (zerog's /zerog/v1/segments route)", () => {
  it("decodes found and missing segments in order, data as views of the body", async () => {
    const data = xorshiftBytes(3 * SEGMENT + 1000, 3);
    const body = await framesOf(data, [0, 2, 3], new Set([2]));
    const out = decodeSegmentFrames(body, [0, 2, 3], decode, bad) as unknown as ({ index: number; data: Uint8Array } | null)[];
    expect(out[1]).toBeNull();
    expect(out[0]!.index).toBe(0);
    expect(out[0]!.data).toEqual(data.subarray(0, SEGMENT));
    expect(out[2]!.data.length).toBe(1024); // the last segment: its data chunks only
  });

  it("turns truncated, mismatched or trailing frames into errors, never into data", async () => {
    const data = xorshiftBytes(2 * SEGMENT, 4);
    const body = await framesOf(data, [0, 1]);
    for (const broken of [body.subarray(0, body.length - 1), body.subarray(0, 3), concat([body, new Uint8Array(1)])]) {
      const out = decodeSegmentFrames(broken, [0, 1], decode, bad);
      expect(out.some((x) => x instanceof StorageClientError)).toBe(true);
    }
    expect(decodeSegmentFrames(body, [1, 0], decode, bad).every((x) => x instanceof StorageClientError)).toBe(true);
  });

  it("downloads over the route when the node serves it, verifying every segment, and falls back when it does not", async () => {
    const data = xorshiftBytes(5 * SEGMENT + 77, 5);
    const { root } = hashFile(data);
    const gets: string[] = [];
    let posts = 0;
    const info = {
      tx: { seq: 1, size: data.length, startEntryIndex: 0, dataMerkleRoot: toHex(root), streamIds: [], data: [], merkleNodes: [] },
      finalized: true,
      isCached: false,
      uploadedSegNum: 0,
    };
    const node = (serveBinary: boolean, corrupt?: number) =>
      new StorageNodeClient("http://node.test", {
        fetch: (async (url: URL | string, init: { method?: string; body?: string }) => {
          if (init.method === "GET") {
            gets.push(String(url));
            if (!serveBinary) return new Response("not found", { status: 404 });
            const indices = new URL(String(url)).searchParams.get("indices")!.split(",").map(Number);
            const body = await framesOf(data, indices);
            if (corrupt !== undefined && indices.includes(corrupt)) body[body.length - 10]! ^= 1;
            return new Response(body, { headers: { "content-type": SEGMENTS_CONTENT_TYPE } });
          }
          posts++;
          const msg = JSON.parse(init.body!) as { id: number; method: string };
          const result = msg.method === "zgs_getShardConfig" ? { shardId: 0, numShard: 1 } : msg.method === "zgs_getFileInfo" ? info : null;
          return new Response(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }), { headers: { "content-type": "application/json" } });
        }) as typeof fetch,
      });

    const sink = createMemorySink();
    await downloadFile({ root: toHex(root), nodes: [node(true)], sink });
    expect(sink.bytes()).toEqual(data);
    expect(gets.length).toBeGreaterThan(0);
    expect(posts).toBe(2); // shard config and file info only: every segment came over the route

    // A flipped byte inside a frame is caught by the proof check; with no other copy the download fails.
    await expect(downloadFile({ root: toHex(root), nodes: [node(true, 5)], sink: createMemorySink() })).rejects.toThrow(/segment 5/);

    // A node without the route (0G's) is asked over JSON-RPC from then on.
    gets.length = 0;
    const plain = node(false);
    await expect(downloadFile({ root: toHex(root), nodes: [plain], sink: createMemorySink() })).rejects.toThrow(/segment 0/);
    expect(gets.length).toBe(1);
  });
});
