import { hashFile } from "@zerog/core/merkle";
import { toHex } from "viem";
import { describe, expect, it } from "vitest";
import { createBytesSource } from "../../src/index.js";
import { segmentToJSON } from "../../src/storage/nodeClient.js";
import { readSegment } from "../../src/storage/segments.js";
import { encodeSegmentsRequest } from "../../src/storage/uploadBody.js";

describe("encodeSegmentsRequest", () => {
  it("writes the same JSON-RPC request as JSON.stringify", async () => {
    const data = new Uint8Array(3 * 262_144 + 1001).map((_, i) => (i * 131) & 0xff);
    const { root, tree } = hashFile(data);
    const source = createBytesSource(data);
    const segments = await Promise.all([0, 1, 3].map((i) => readSegment(source, tree, toHex(root), i)));
    for (const txSeq of [7, null]) {
      const body = encodeSegmentsRequest(42, "zgs_uploadSegmentsByTxSeq", segments, txSeq);
      const params = txSeq === null ? [segments.map(segmentToJSON)] : [segments.map(segmentToJSON), txSeq];
      const expected = JSON.stringify({ jsonrpc: "2.0", id: 42, method: "zgs_uploadSegmentsByTxSeq", params });
      expect(new TextDecoder().decode(body)).toBe(expected);
    }
  });
});
