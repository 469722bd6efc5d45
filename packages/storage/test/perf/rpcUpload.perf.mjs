// Upload throughput over JSON-RPC into one in-process node (not pass/fail):
// `npx tsc -b && node packages/storage/test/perf/rpcUpload.perf.mjs [MiB] [concurrency]`.
// Batches of 10 segments per `zgs_uploadSegmentsByTxSeq`, as 0G's SDK sends them; the chain is a stub.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSilentLogger } from "@zerog/core";
import { FileHasher, FlowTree } from "@zerog/core/merkle";
import { defaultStorageNodeOptions, StorageNode, segmentToJSON } from "@zerog/storage";

const MiB = 1024 * 1024;
const SEG = 262_144;
const size = Number(process.argv[2] ?? 256) * MiB;
const concurrency = Number(process.argv[3] ?? 4);
const dir = mkdtempSync(join(tmpdir(), "zg-storage-rpc-perf-"));
const chain = {
  chainId: async () => 31337,
  blockNumber: async () => 0,
  block: async () => null,
  logs: async () => [],
  systemContracts: async () => ({ Flow: "0x0000000000000000000000000000000000005000" }),
};

function segmentBytes(i) {
  const b = new Uint8Array(SEG);
  const v = new DataView(b.buffer);
  for (let k = 0; k < SEG; k += 4) v.setUint32(k, Math.imul(i + 1, 2654435761) ^ k);
  return b;
}

const node = new StorageNode(
  {
    ...defaultStorageNodeOptions,
    dataDir: dir,
    rpc: { ...defaultStorageNodeOptions.rpc, port: 0 },
    logSync: { ...defaultStorageNodeOptions.logSync, pollIntervalMs: 60_000 },
  },
  { logger: createSilentLogger(), metrics: null, chain },
);
try {
  await node.start();
  const n = size / SEG;
  const hasher = new FileHasher(size);
  for (let i = 0; i < n; i++) hasher.update(segmentBytes(i));
  const digest = hasher.digest();
  const { startPos } = new FlowTree().appendSubmission(digest.nodes);
  const tx = {
    seq: 0,
    startEntryIndex: startPos,
    size,
    merkleNodes: digest.nodes.map((x) => ({ depth: x.height + 1, root: x.root })),
    dataMerkleRoot: digest.root,
    blockNumber: 1,
    blockHash: `0x${"00".repeat(32)}`,
  };
  await node.store.putTx(tx);
  const bodies = [];
  for (let b = 0; b < n; b += 10) {
    const segs = [];
    for (let i = b; i < Math.min(n, b + 10); i++)
      segs.push(segmentToJSON({ root: digest.root, data: segmentBytes(i), index: i, proof: digest.tree.proofAt(i), fileSize: size }));
    bodies.push(JSON.stringify({ jsonrpc: "2.0", id: b, method: "zgs_uploadSegmentsByTxSeq", params: [segs, 0] }));
  }
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let k = next++; k < bodies.length; k = next++) {
        const res = await fetch(node.rpc.url, { method: "POST", headers: { "content-type": "application/json" }, body: bodies[k] });
        const j = await res.json();
        if (j.error) throw new Error(JSON.stringify(j.error));
      }
    }),
  );
  const ms = performance.now() - t;
  console.log(
    `zgs_uploadSegmentsByTxSeq, ${size / MiB} MiB in batches of 10, ${concurrency} in flight: ${((size / MiB / ms) * 1000).toFixed(0)} MiB/s; finalized=${node.store.isFinalized(0)}`,
  );
} finally {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
}
