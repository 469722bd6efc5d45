import { fileProofFromJSON, segmentRoot, verifySegmentProof } from "@zerog/core/merkle";
import { beforeAll, describe, expect, it } from "vitest";
import { CHAIN_ID } from "../../../cli/test/e2e/helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "../../../cli/test/e2e/helpers/node.js";
import { until } from "../../../cli/test/e2e/helpers/rpc.js";
import type { SegmentWithProofJSON } from "../../src/flow/segment.js";
import type { FileSyncInfo } from "../../src/sync/fileSync.js";
import { makeFile } from "../fixtures.js";
import { type StorageProc, segmentsJSON, startStorageNode, submitToFlow, waitFinalized, waitForTx } from "./helpers.js";

useE2ECleanup();

let chain: TestNode;

beforeAll(async () => {
  chain = await startNode({ name: "chain" });
});

describe("sharding and sync", () => {
  it("a node of another shard started after the upload syncs its segments from a peer", async () => {
    const full = await startStorageNode(chain.url, { name: "storage 0/1" });
    const file = makeFile(6 * 262_144 + 777, 21);
    const seq = await submitToFlow(chain.url, CHAIN_ID, file);
    await waitForTx(full, seq);
    expect(await full.call("zgs_uploadSegmentsByTxSeq", [segmentsJSON(file), seq])).toBe(0);
    const { tx } = await waitFinalized(full, seq);

    const late = await startStorageNode(chain.url, { name: "storage 1/2 (late)", shard: "1/2", peers: [full.url] });
    expect(await late.call("zgs_getShardConfig")).toEqual({ shardId: 1, numShard: 2 });
    const info = await waitFinalized(late, seq, 60_000);
    const first = tx.startEntryIndex / 1024;
    const mine = file.segments.filter((s) => (first + s.index) % 2 === 1).map((s) => s.index);
    expect(info.uploadedSegNum).toBe(file.segments.length);
    for (let i = 0; i < file.segments.length; i++) {
      const s = await late.call<SegmentWithProofJSON | null>("zgs_downloadSegmentWithProofByTxSeq", [seq, i]);
      if (!mine.includes(i)) {
        expect(s).toBeNull();
        continue;
      }
      const data = new Uint8Array(Buffer.from(s!.data, "base64"));
      expect(data).toEqual(file.segments[i]!.data);
      verifySegmentProof({
        root: file.root,
        segmentRoot: segmentRoot(data, i, file.data.length),
        index: i,
        fileSize: file.data.length,
        proof: fileProofFromJSON(s!.proof),
      });
    }
    const sync = await late.call<Record<string, FileSyncInfo>>("admin_getSyncInfo", [seq]);
    expect(sync[String(seq)]).toMatchObject({ state: "Completed", goal: mine.length, next: mine.length, peers: 1 });
    expect(await late.call("admin_getSyncStatus", [seq])).toBe("Completed");
    expect(await late.call("admin_getFileLocation", [seq, true])).toEqual([
      { ip: late.url, shardConfig: { shardId: 1, numShard: 2 } },
      { ip: full.url, shardConfig: { shardId: 0, numShard: 1 } },
    ]);
    await late.kill("SIGTERM");
    await full.kill("SIGTERM");
  });

  it("a node SIGKILLed mid-upload keeps what was written and completes the upload after a restart", async () => {
    const node: StorageProc = await startStorageNode(chain.url, { name: "storage (killed)" });
    const file = makeFile(8 * 262_144, 22);
    const seq = await submitToFlow(chain.url, CHAIN_ID, file);
    await waitForTx(node, seq);
    const segs = segmentsJSON(file);
    for (const s of segs.slice(0, 5)) expect(await node.call("zgs_uploadSegmentsByTxSeq", [[s], seq])).toBe(0);
    // In flight while the process dies: may or may not land.
    const inFlight = node.call("zgs_uploadSegmentsByTxSeq", [segs.slice(5, 6), seq]).catch(() => null);
    await node.kill("SIGKILL");
    await inFlight;
    await node.start();
    const info = await waitForTx(node, seq);
    expect(info.finalized).toBe(false);
    expect(info.uploadedSegNum).toBeGreaterThanOrEqual(5);
    // The client retries the whole file: what survived is skipped, the rest completes it.
    expect(await node.call("zgs_uploadSegmentsByTxSeq", [segs, seq])).toBe(0);
    await waitFinalized(node, seq);
    for (let i = 0; i < segs.length; i++) expect(await node.call("zgs_downloadSegmentWithProofByTxSeq", [seq, i])).toEqual(segs[i]);
    // Log sync resumed where it was: no tx seen twice, none missing.
    const status = await until("log sync caught up", async () => {
      const s = await node.call<{ caughtUp: boolean; nextTxSeq: number }>("admin_getLogSyncStatus");
      return s.caughtUp ? s : undefined;
    });
    expect(status.nextTxSeq).toBe(seq + 1);
    await node.kill("SIGTERM");
  });
});
