// Storage-node write path throughput (not pass/fail): `npx tsc -b && node packages/storage/test/perf/segmentStore.perf.mjs [MiB]`.
// Measures segment validation (segment root + proof), raw segment writes to the flow files against 256 KiB values in
// LMDB (the layout decision), and the whole upload path (validate + write + metadata) of one file, then reads it back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSilentLogger, LMDBStore } from "@zerog/core";
import { FileHasher, FlowTree } from "@zerog/core/merkle";
import { defaultLogStoreOptions, FlowDataStore, LogStore, MetaStore, validateSegment } from "@zerog/storage";

const MiB = 1024 * 1024;
const SEG = 262_144;
const size = Number(process.argv[2] ?? 1024) * MiB;
const dir = mkdtempSync(join(tmpdir(), "zg-storage-perf-"));
const rate = (bytes, ms) => `${((bytes / MiB / ms) * 1000).toFixed(0)} MiB/s`;

function segmentBytes(i) {
  const b = new Uint8Array(SEG);
  const v = new DataView(b.buffer);
  for (let k = 0; k < SEG; k += 4) v.setUint32(k, Math.imul(i + 1, 2654435761) ^ k);
  return b;
}

try {
  const n = Math.ceil(size / SEG);
  let t = performance.now();
  const hasher = new FileHasher(size);
  for (let i = 0; i < n; i++) hasher.update(segmentBytes(i).subarray(0, Math.min(SEG, size - i * SEG)));
  const digest = hasher.digest();
  console.log(`file root of ${size / MiB} MiB (FileHasher, incl. generating data): ${rate(size, performance.now() - t)}`);

  const sample = Math.min(n, 512);
  const segs = [];
  for (let i = 0; i < sample; i++)
    segs.push({ root: digest.root, data: segmentBytes(i), index: i, proof: digest.tree.proofAt(i), fileSize: size });
  t = performance.now();
  for (const s of segs) validateSegment(s);
  let ms = performance.now() - t;
  console.log(
    `validate: ${sample} segments in ${ms.toFixed(0)} ms = ${((sample / ms) * 1000).toFixed(0)} segments/s, ${rate(sample * SEG, ms)}`,
  );

  const files = new FlowDataStore(join(dir, "raw-files"));
  t = performance.now();
  for (let i = 0; i < sample; i++) files.write(i * 1024, segs[i].data);
  ms = performance.now() - t;
  console.log(`raw write, sparse flow files (pwrite): ${rate(sample * SEG, ms)}`);
  files.close();
  const lmdb = new LMDBStore({ path: join(dir, "raw-lmdb") });
  t = performance.now();
  for (let i = 0; i < sample; i++) {
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(4, i);
    await lmdb.batch([{ type: "put", key, value: segs[i].data }]);
  }
  ms = performance.now() - t;
  console.log(`raw write, 256 KiB values in LMDB (one txn each): ${rate(sample * SEG, ms)}`);
  await lmdb.close();

  const db = new LMDBStore({ path: join(dir, "meta") });
  const data = new FlowDataStore(join(dir, "flow"));
  const store = new LogStore(defaultLogStoreOptions, { meta: new MetaStore(db), data, logger: createSilentLogger(), metrics: null });
  const flow = new FlowTree();
  const { startPos } = flow.appendSubmission(digest.nodes);
  const tx = {
    seq: 0,
    startEntryIndex: startPos,
    size,
    merkleNodes: digest.nodes.map((x) => ({ depth: x.height + 1, root: x.root })),
    dataMerkleRoot: digest.root,
    blockNumber: 1,
    blockHash: `0x${"00".repeat(32)}`,
  };
  await store.putTx(tx);
  t = performance.now();
  for (let i = 0; i < n; i++) {
    const bytes = segmentBytes(i).subarray(0, Math.min(SEG, Math.ceil((size - i * SEG) / 256) * 256));
    await store.putSegment({ root: digest.root, data: bytes, index: i, proof: digest.tree.proofAt(i), fileSize: size }, tx);
  }
  ms = performance.now() - t;
  console.log(`upload path (generate + validate + write + record), ${n} segments: ${rate(size, ms)}; finalized=${store.isFinalized(0)}`);
  t = performance.now();
  for (let i = 0; i < n; i++) store.readSegment(tx, i);
  console.log(`read back with proofs: ${rate(size, performance.now() - t)}`);
  data.close();
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
