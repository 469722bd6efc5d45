import { fileProofToJSON, hashFile } from "@zerog/core/merkle";
import { toHex } from "viem";
import { describe, expect, it } from "vitest";
import { xorshiftBytes } from "../../../core/test/utils/xorshiftBytes.js";
import { createBytesSource, createMemorySink, downloadFile, type HttpExchange, StorageNodeClient } from "../../src/index.js";
import { BufferPool } from "../../src/storage/bufferPool.js";
import { SEGMENTS_CONTENT_TYPE } from "../../src/storage/segmentFrames.js";
import { readSegment } from "../../src/storage/segments.js";

const SEGMENT = 262_144;

describe("BufferPool", () => {
  it("hands memory back out only after its lease is released, and keeps at most maxFree idle buffers", () => {
    const pool = new BufferPool(1, 1024);
    const a = pool.lease();
    const x = a.allocate(100);
    const b = pool.lease();
    const y = b.allocate(100);
    expect(x.length).toBe(100);
    expect(y.buffer).not.toBe(x.buffer); // a is still held
    a.release();
    b.release(); // only one idle buffer is kept
    const c = pool.lease();
    expect(c.allocate(1024).buffer).toBe(x.buffer);
    expect(c.allocate(10).buffer).not.toBe(y.buffer);
    expect(pool.lease().allocate(2048).length).toBe(2048); // larger than any idle buffer: a new one
    c.release();
    expect(() => c.allocate(1)).toThrow(/released/);
  });
});

/** A zerog node's binary route over an `HttpExchange` that reads each body into the memory the client offers. */
function binaryNode(data: Uint8Array, allocations: ArrayBufferLike[]): StorageNodeClient {
  const { root, tree } = hashFile(data);
  const rootHex = toHex(root);
  const exchange: HttpExchange = async ({ method, url, body, allocate }) => {
    const json = (o: unknown) => ({ status: 200, contentType: "application/json", bytes: new TextEncoder().encode(JSON.stringify(o)) });
    if (method === "POST") {
      const call = JSON.parse(String(body)) as { id: number; method: string };
      const result =
        call.method === "zgs_getShardConfig"
          ? { shardId: 0, numShard: 1 }
          : {
              tx: { seq: 1, size: data.length, startEntryIndex: 0, dataMerkleRoot: rootHex, streamIds: [], data: [], merkleNodes: [] },
              finalized: true,
              isCached: false,
              uploadedSegNum: 0,
            };
      return json({ jsonrpc: "2.0", id: call.id, result });
    }
    const indices = url.searchParams.get("indices")!.split(",").map(Number);
    const frames: Uint8Array[] = [];
    for (const index of indices) {
      const seg = await readSegment(createBytesSource(data), tree, rootHex, index);
      const meta = new TextEncoder().encode(
        JSON.stringify({
          index,
          found: true,
          root: rootHex,
          fileSize: data.length,
          proof: fileProofToJSON(seg.proof),
          length: seg.data.length,
        }),
      );
      const head = new Uint8Array(4);
      new DataView(head.buffer).setUint32(0, meta.length);
      frames.push(head, meta, seg.data);
    }
    const size = frames.reduce((n, f) => n + f.length, 0);
    const out = allocate ? allocate(size) : new Uint8Array(size);
    allocations.push(out.buffer);
    let o = 0;
    for (const f of frames) {
      out.set(f, o);
      o += f.length;
    }
    return { status: 200, contentType: SEGMENTS_CONTENT_TYPE, bytes: out };
  };
  return new StorageNodeClient("http://binary.test", { exchange });
}

describe("download buffer reuse", () => {
  it("reuses response memory across batches, only once the sink has taken every segment in it", async () => {
    const data = xorshiftBytes(40 * SEGMENT - 3, 11);
    const allocations: ArrayBufferLike[] = [];
    const retained: Uint8Array[] = [];
    const sink = createMemorySink();
    await downloadFile({
      root: toHex(hashFile(data).root),
      nodes: [binaryNode(data, allocations)],
      batchSize: 2,
      concurrency: 2,
      sink: {
        // Checks each write against the file when it is made, and (against the contract) keeps the view.
        write: async (bytes) => {
          const at = retained.reduce((n, r) => n + r.length, 0);
          expect(Buffer.from(bytes).equals(Buffer.from(data.subarray(at, at + bytes.length)))).toBe(true);
          retained.push(bytes);
          await sink.write(bytes);
          await new Promise((r) => setTimeout(r, 1));
        },
      },
    });
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
    expect(allocations.length).toBe(20);
    expect(new Set(allocations).size).toBeLessThanOrEqual(2 + 2 + 1); // about concurrency + 2 buffers for 20 batches
    // The memory was reused: a view kept past its write no longer holds what was written.
    const joined = Buffer.concat(retained.map((r) => Buffer.from(r)));
    expect(joined.equals(Buffer.from(data))).toBe(false);
  });
});
