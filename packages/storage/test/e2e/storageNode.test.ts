import { bytesToHex, hexToBytes } from "@zerog/core";
import { fileProofFromJSON, segmentRoot, verifySegmentProof } from "@zerog/core/merkle";
import { createPublicClient, type Hex, http, parseAbi } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAIN_ID } from "../../../cli/test/e2e/helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "../../../cli/test/e2e/helpers/node.js";
import { postJson } from "../../../cli/test/e2e/helpers/rpc.js";
import type { SegmentWithProofJSON } from "../../src/flow/segment.js";
import { makeFile } from "../fixtures.js";
import { FLOW, type StorageProc, segmentsJSON, startStorageNode, submitToFlow, waitFinalized, waitForTx } from "./helpers.js";

useE2ECleanup();

let chain: TestNode;
let node: StorageProc;

beforeAll(async () => {
  chain = await startNode({ name: "chain" });
  node = await startStorageNode(chain.url, { name: "storage 0/1" });
});

afterAll(async () => {
  await node?.kill("SIGTERM");
});

describe("zg storage node", () => {
  it("reports 0G's status and shard shapes, with the chain id and Flow address from the chain", async () => {
    const status = await node.call<Record<string, unknown>>("zgs_getStatus");
    expect(status).toMatchObject({
      connectedPeers: 0,
      nextTxSeq: expect.any(Number),
      logSyncHeight: expect.any(Number),
      networkIdentity: { chainId: CHAIN_ID, flowAddress: FLOW, p2pProtocolVersion: { major: 0, minor: 4, build: 0 } },
    });
    expect(status.logSyncBlock).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await node.call("zgs_getShardConfig")).toEqual({ shardId: 0, numShard: 1 });
    // 0G's TS SDK sends ids around 1.7e16: echoed as sent.
    const { json } = await postJson(node.url, '{"jsonrpc":"2.0","id":17234567890123456,"method":"zgs_getShardConfig","params":[]}');
    expect((json as { id: number }).id).toBe(17234567890123456);
  });

  it("uploads a file submitted to Flow, finalizes it and serves it back with proofs", async () => {
    const file = makeFile(3 * 262_144 + 5000, 11);
    const seq = await submitToFlow(chain.url, CHAIN_ID, file);
    const info = await waitForTx(node, seq);
    expect(info).toMatchObject({
      tx: { streamIds: [], data: [], dataMerkleRoot: bytesToHex(file.root), size: file.data.length, seq },
      finalized: false,
      isCached: false,
      uploadedSegNum: 0,
      pruned: false,
    });
    const segs = segmentsJSON(file);
    expect(await node.call("zgs_uploadSegmentsByTxSeq", [segs.slice(0, 2), seq])).toBe(0);
    // Uploading again what is there is skipped silently.
    expect(await node.call("zgs_uploadSegmentsByTxSeq", [segs, seq])).toBe(0);
    const fin = await waitFinalized(node, seq);
    expect(fin.uploadedSegNum).toBe(4);
    expect(await node.call("zgs_checkFileFinalized", [seq])).toBe(true);
    expect(await node.call("zgs_checkFileFinalized", [bytesToHex(file.root)])).toBe(true);
    const out = new Uint8Array(file.data.length + 256);
    for (let i = 0; i < segs.length; i++) {
      const s = await node.call<SegmentWithProofJSON>("zgs_downloadSegmentWithProofByTxSeq", [seq, i]);
      expect(s).toEqual(segs[i]);
      const data = new Uint8Array(Buffer.from(s.data, "base64"));
      verifySegmentProof({
        root: file.root,
        segmentRoot: segmentRoot(data, i, file.data.length),
        index: i,
        fileSize: file.data.length,
        proof: fileProofFromJSON(s.proof),
      });
      const chunks = Math.min(1024, Math.ceil(file.data.length / 256) - i * 1024);
      const b64 = await node.call<string>("zgs_downloadSegmentByTxSeq", [seq, i * 1024, i * 1024 + chunks]);
      out.set(Buffer.from(b64, "base64"), i * 262_144);
    }
    expect(out.subarray(0, file.data.length)).toEqual(file.data);
    expect(await node.call("zgs_downloadSegmentWithProof", [bytesToHex(file.root), 3])).toEqual(segs[3]);
    const byRoot = await node.call<{ tx: { seq: number } }>("zgs_getFileInfo", [bytesToHex(file.root), true]);
    expect(byRoot.tx.seq).toBe(seq);
    const [flowRoot, flowLength] = await node.call<[string, number]>("zgs_getFlowContext");
    expect(flowRoot).toMatch(/^0x[0-9a-f]{64}$/);
    expect(flowLength).toBeGreaterThan(fin.tx.startEntryIndex);
    // zerog's binary segments route: the same segments and proofs as frames, missing ones marked, bad queries 400.
    const framesOf = async (query: string) => {
      const res = await fetch(`${node.url}/zerog/v1/segments?${query}`);
      expect(res.headers.get("content-type")).toBe("application/vnd.zerog.segments");
      const body = new Uint8Array(await res.arrayBuffer());
      const out: { meta: Record<string, unknown>; data: Uint8Array }[] = [];
      for (let off = 0; off < body.length; ) {
        const metaLength = new DataView(body.buffer, body.byteOffset).getUint32(off);
        const meta = JSON.parse(Buffer.from(body.subarray(off + 4, off + 4 + metaLength)).toString()) as Record<string, unknown>;
        const length = meta.found ? (meta.length as number) : 0;
        out.push({ meta, data: body.subarray(off + 4 + metaLength, off + 4 + metaLength + length) });
        off += 4 + metaLength + length;
      }
      return out;
    };
    const frames = await framesOf(`txSeq=${seq}&indices=3,1,9`);
    expect(frames.map((f) => f.meta.index)).toEqual([3, 1, 9]);
    // The node reuses response memory once a response is sent: many requests at once each still get their own data.
    const at = Array.from({ length: 24 }, (_, k) => [(k * 5) % segs.length, (k * 3 + 1) % segs.length]);
    const answers = await Promise.all(at.map((ix) => framesOf(`txSeq=${seq}&indices=${ix.join(",")}`)));
    for (const [k, fs] of answers.entries())
      for (const [j, f] of fs.entries()) expect(Buffer.from(f.data).toString("base64")).toBe(segs[at[k]![j]!]!.data);
    for (const [k, i] of [3, 1].entries()) {
      expect(frames[k]!.meta).toMatchObject({ found: true, root: segs[i]!.root, fileSize: file.data.length, proof: segs[i]!.proof });
      expect(Buffer.from(frames[k]!.data).toString("base64")).toBe(segs[i]!.data);
    }
    expect(frames[2]!.meta).toEqual({ index: 9, found: false });
    for (const q of [
      "txSeq=x&indices=0",
      `txSeq=${seq}&indices=`,
      `txSeq=${seq}&indices=${Array.from({ length: 33 }, () => 0).join(",")}`,
    ]) {
      const bad = await fetch(`${node.url}/zerog/v1/segments?${q}`);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toMatch(/txSeq|indices|at most/);
    }
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/zg_storage_upload_bytes_total\{source="upload"\} \d+/);
    expect(metrics).toMatch(/zg_storage_log_sync_height_blocks \d+/);
  });

  it("rejects bad uploads with 0G's error codes, messages and texts", async () => {
    const file = makeFile(2 * 262_144 + 100, 12);
    const seq = await submitToFlow(chain.url, CHAIN_ID, file);
    await waitForTx(node, seq);
    const [s0, s1, s2] = segmentsJSON(file) as [SegmentWithProofJSON, SegmentWithProofJSON, SegmentWithProofJSON];
    const err = async (method: string, params: unknown[]) => (await node.response(method, params)).error;

    const badLemma = [...s1.proof.lemma];
    badLemma[1] = `0x${"11".repeat(32)}`;
    expect(await err("zgs_uploadSegmentByTxSeq", [{ ...s1, proof: { ...s1.proof, lemma: badLemma } }, seq])).toEqual({
      code: -32602,
      message: "Invalid params: proof",
      data: "validation failed",
    });
    expect(await err("zgs_uploadSegmentByTxSeq", [{ ...s0, fileSize: s0.fileSize + 256 }, seq])).toEqual({
      code: -32602,
      message: "Invalid params: file_size",
      data: "segment file size not matched with tx file size",
    });
    expect(await err("zgs_uploadSegmentByTxSeq", [{ ...s2, index: 3 }, seq])).toEqual({
      code: -32602,
      message: "Invalid params: index",
      data: "index out of bound",
    });
    expect(await err("zgs_uploadSegmentByTxSeq", [{ ...s1, index: 0 }, seq])).toEqual({
      code: -32602,
      message: "Invalid params: proof",
      data: "validation failed",
    });
    expect(await err("zgs_uploadSegmentByTxSeq", [{ ...s2, data: s1.data }, seq])).toEqual({
      code: -32602,
      message: "Invalid params: data",
      data: "invalid data length",
    });
    const other = makeFile(12 * 1024 * 1024, 13);
    expect(await err("zgs_uploadSegmentByTxSeq", [{ ...s0, root: bytesToHex(other.root) }, seq])).toEqual({
      code: -32603,
      message: "Internal error",
      data: "data root and tx seq not match",
    });
    expect(await err("zgs_uploadSegment", [{ ...s0, root: bytesToHex(other.root), fileSize: other.data.length }])).toEqual({
      code: -32602,
      message: "Invalid params: file_size",
      data: "caching of large file when tx is unavailable is not supported",
    });
    const odd = Buffer.from(new Uint8Array(1000)).toString("base64");
    expect(await err("zgs_uploadSegmentByTxSeq", [{ ...s0, data: odd }, seq])).toEqual({ code: -32000, message: "invalid data length" });
    expect(await node.call("zgs_uploadSegments", [[s0, s1, s2]])).toBe(0);
    await waitFinalized(node, seq);
    expect(await err("zgs_uploadSegmentByTxSeq", [s0, seq])).toEqual({
      code: -32602,
      message: "Invalid params: root",
      data: "already uploaded and finalized",
    });
    expect(await err("zgs_uploadSegmentsByTxSeq", [[s0], seq])).toMatchObject({ data: "already uploaded and finalized" });
  });

  it("caches segments of a small file uploaded before its Submit log, and dedups a second submission", async () => {
    const file = makeFile(100_000, 14);
    const [s0] = segmentsJSON(file) as [SegmentWithProofJSON];
    expect(await node.call("zgs_getFileInfo", [bytesToHex(file.root), false])).toBeNull();
    expect(await node.call("zgs_uploadSegment", [s0])).toBe(0);
    const seq = await submitToFlow(chain.url, CHAIN_ID, file);
    await waitFinalized(node, seq);
    const again = await submitToFlow(chain.url, CHAIN_ID, file, 1);
    const info = await waitFinalized(node, again);
    expect(info.tx.startEntryIndex).not.toBe(
      (await node.call<{ tx: { startEntryIndex: number } }>("zgs_getFileInfoByTxSeq", [seq])).tx.startEntryIndex,
    );
    const got = await node.call<SegmentWithProofJSON>("zgs_downloadSegmentWithProofByTxSeq", [again, 0]);
    expect(hexToBytes(got.root)).toEqual(file.root);
    expect(got.data).toBe(s0.data);
  });

  it("agrees with the Flow contract on the flow root and proves sectors against it", async () => {
    const [flowRoot, flowLength] = await node.call<[Hex, number]>("zgs_getFlowContext");
    const status = await node.call<{ nextTxSeq: number }>("zgs_getStatus");
    const onChain = await createPublicClient({ transport: http(chain.url) }).readContract({
      address: FLOW,
      abi: parseAbi(["function getFlowRootByTxSeq(uint256) view returns (bytes32)"]),
      functionName: "getFlowRootByTxSeq",
      args: [BigInt(status.nextTxSeq - 1)],
    });
    expect(flowRoot).toBe(onChain);
    for (const sector of [0, 1, flowLength - 1]) {
      const proof = await node.call<{ lemma: Hex[]; path: boolean[] }>("zgs_getSectorProof", [sector, null]);
      expect(proof.lemma.at(-1)).toBe(flowRoot);
      expect(proof.lemma.length).toBe(proof.path.length + 2);
    }
    expect((await node.response("zgs_getSectorProof", [flowLength, null])).error).toEqual({
      code: -32602,
      message: "Invalid params: sector_index",
      data: "sector index out of bound",
    });
  });

  it("serves the admin_ sync and log-sync status", async () => {
    const status = await node.call<{ nextTxSeq: number; caughtUp: boolean; lastError: string | null }>("admin_getLogSyncStatus");
    expect(status.lastError).toBeNull();
    expect(await node.call("admin_getSyncStatus", [0])).toBe("Completed");
    expect(await node.call("admin_getSyncServiceState")).toMatchObject({ numSyncing: 0 });
    const loc = await node.call<{ ip: string; shardConfig: unknown }[]>("admin_getFileLocation", [0, true]);
    expect(loc[0]).toEqual({ ip: node.url, shardConfig: { shardId: 0, numShard: 1 } });
  });
});
