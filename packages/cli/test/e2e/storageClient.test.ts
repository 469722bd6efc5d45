/**
 * The storage client (`@zerog/sdk` uploadFile/downloadFile/getFileInfo, and `zg storage upload|download|info`)
 * against a real `zg devnet` with three storage nodes in two shards: storage-0 and storage-2 hold shard 0/2 (so
 * its segments have a replica), storage-1 holds shard 1/2. Bytes must come back equal for sizes around the chunk
 * and segment edges; a byte flipped on one node's disk is caught by the proof and the replica serves the segment;
 * with no good copy left the download fails naming the segment, and nothing unverified reaches the sink.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, existsSync, openSync, readdirSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import {
  createMemorySink,
  downloadFile,
  getFileInfo,
  StorageClientError,
  StorageClientErrorCode,
  StorageNodeClient,
  uploadFile,
} from "@zerog/sdk";
import { createFileSink, openFileSource } from "@zerog/sdk/node";
import { createWalletClient, defineChain, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { xorshiftBytes as bytesOf } from "../../../core/test/utils/xorshiftBytes.js";
import { ACCOUNTS } from "./helpers/accounts.js";
import { freePort, freePorts, makeTempDir, runZg, spawnZg, trackForeignPid, useE2ECleanup } from "./helpers/processes.js";

useE2ECleanup();

const KiB = 1024;
const MiB = 1024 * KiB;
const SEGMENT = 256 * KiB;

interface Manifest {
  chainId: number;
  rpcUrls: string[];
  nodes: { name: string; role: string; pid: number; rpc: string; dataDir: string }[];
}

const datadir = makeTempDir("zg-storage-client-");
const work = makeTempDir("zg-storage-files-");
let manifest: Manifest;
let storage: Manifest["nodes"];
let nodeUrls: string[];

function wallet(i = 0) {
  const rpc = manifest.rpcUrls[0]!;
  const chain = defineChain({
    id: manifest.chainId,
    name: "devnet",
    nativeCurrency: { name: "ZG", symbol: "ZG", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
  return createWalletClient({ account: privateKeyToAccount(ACCOUNTS[i]!.privateKey), chain, transport: http(rpc) });
}

function writeRandomFile(path: string, size: number, seed: number): void {
  const fd = openSync(path, "w");
  for (let off = 0, k = 0; off < size; off += 4 * MiB, k++) writeSync(fd, bytesOf(Math.min(4 * MiB, size - off), seed + k));
  closeSync(fd);
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (d) => h.update(d))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

/** Flips one byte of file offset `fileOffset` in a storage node's flow data (`<dataDir>/flow/NNNNNNNN.dat`). */
function flipOnDisk(dataDir: string, startEntryIndex: number, fileOffset: number): void {
  const FILE_BYTES = 1024 * SEGMENT;
  const abs = startEntryIndex * 256 + fileOffset;
  const path = join(dataDir, "flow", `${String(Math.floor(abs / FILE_BYTES)).padStart(8, "0")}.dat`);
  expect(existsSync(path), `${path} exists (files: ${readdirSync(join(dataDir, "flow")).join(", ")})`).toBe(true);
  const fd = openSync(path, "r+");
  const b = new Uint8Array(1);
  readSync(fd, b, 0, 1, abs % FILE_BYTES);
  b[0] = b[0]! ^ 0x5a;
  writeSync(fd, b, 0, 1, abs % FILE_BYTES);
  closeSync(fd);
}

beforeAll(async () => {
  const [rpcPort, p2pPort, storagePort] = [await freePort(), await freePort(), await freePorts(3)];
  const args = ["devnet", "--datadir", datadir, "--rpc.port", String(rpcPort), "--p2p.port", String(p2pPort)];
  args.push("--storage.nodes", "3", "--storage.shards", "2", "--storage.port", String(storagePort), "--log-level", "warn");
  args.push("--da.signers", "0", "--compute.providers", "0"); // no DA or compute processes: this file is about storage
  const sup = spawnZg("zg devnet", args, { logFile: join(datadir, "supervisor.log") });
  await sup.waitForOutput(/zerog devnet running/, 90_000);
  manifest = JSON.parse(readFileSync(join(datadir, "devnet", "devnet.json"), "utf8")) as Manifest;
  for (const n of manifest.nodes) trackForeignPid(n.pid);
  storage = manifest.nodes.filter((n) => n.role === "storage");
  nodeUrls = storage.map((n) => n.rpc);
  expect(nodeUrls).toHaveLength(3);
}, 120_000);

describe("uploadFile / downloadFile", () => {
  const sizes = [1, 255, 256, SEGMENT - 1, SEGMENT + 1, 5 * MiB];
  for (const [k, size] of sizes.entries()) {
    it(`round-trips ${size} bytes`, async () => {
      const data = bytesOf(size, 1000 + k);
      const phases = new Set<string>();
      const up = await uploadFile(wallet(), { data, nodes: nodeUrls, onProgress: (p) => phases.add(p.phase) });
      expect(up.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(up.size).toBe(size);
      expect([...phases]).toEqual(["hashing", "submitting", "syncing", "uploading", "finalizing", "done"]);

      const info = await getFileInfo({ root: up.root, nodes: nodeUrls });
      for (const n of info.nodes) expect(n.info?.finalized, n.url).toBe(true);

      const sink = createMemorySink();
      const down = await downloadFile({ root: up.root, nodes: nodeUrls, sink });
      expect(down.size).toBe(size);
      expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
    });
  }

  it("uploading a file the nodes already hold sends no transaction", async () => {
    const data = bytesOf(1000, 1000);
    const first = await uploadFile(wallet(), { data, nodes: nodeUrls });
    const again = await uploadFile(wallet(1), { data, nodes: nodeUrls });
    expect(again).toMatchObject({ root: first.root, txSeq: first.txSeq, txHash: null });
  });

  it("submits with the old ABI too", async () => {
    const data = bytesOf(3 * SEGMENT + 77, 4242);
    const up = await uploadFile(wallet(2), { data, nodes: nodeUrls, abi: "old" });
    const sink = createMemorySink();
    await downloadFile({ root: up.root, nodes: nodeUrls, sink });
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
  });

  it("refuses nodes that do not cover every shard before paying", async () => {
    const shard0 = storage.filter((n) => n.name !== "storage-1").map((n) => n.rpc);
    const err = await uploadFile(wallet(), { data: bytesOf(10, 5), nodes: shard0 }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageClientError);
    expect(err.code).toBe(StorageClientErrorCode.SHARDS_NOT_COVERED);
    expect(err.message).toMatch(/no node stores shard 1\/2.*nothing was submitted/);
  });

  it("round-trips 100 MiB through files and reports MB/s", async () => {
    const src = join(work, "big.bin");
    const out = join(work, "big.out");
    writeRandomFile(src, 100 * MiB, 77);
    const source = await openFileSource(src);
    let t = performance.now();
    const up = await uploadFile(wallet(3), { data: source, nodes: nodeUrls });
    const upSeconds = (performance.now() - t) / 1000;
    await source.close();
    const sink = await createFileSink(out);
    t = performance.now();
    await downloadFile({ root: up.root, nodes: nodeUrls, sink });
    await sink.close();
    const downSeconds = (performance.now() - t) / 1000;
    console.log(
      `100 MiB: upload ${((100 * 1.048576) / upSeconds).toFixed(1)} MB/s (${upSeconds.toFixed(1)} s, hash + submit + upload to 3 nodes + finalize), ` +
        `verified download ${((100 * 1.048576) / downSeconds).toFixed(1)} MB/s (${downSeconds.toFixed(1)} s)`,
    );
    expect(await sha256File(out)).toBe(await sha256File(src));
  }, 600_000);
});

describe("corruption", () => {
  /** A file of 4 segments; returns it with its placement and the index of a segment of shard 0 (replicated). */
  async function uploadForCorruption(seed: number) {
    const data = bytesOf(4 * SEGMENT - 1000, seed);
    const up = await uploadFile(wallet(4), { data, nodes: nodeUrls });
    const info = await new StorageNodeClient(storage[0]!.rpc).getFileInfo(up.root, true);
    const start = info!.tx.startEntryIndex;
    const startSegment = Math.floor(start / 1024);
    const index = [0, 1, 2, 3].find((i) => (startSegment + i) % 2 === 0)!;
    return { data, root: up.root, start, index };
  }

  it("a byte flipped on one node's disk is caught by the proof and the replica serves the segment", async () => {
    const { data, root, start, index } = await uploadForCorruption(9001);
    flipOnDisk(storage[0]!.dataDir, start, index * SEGMENT + 1234);
    // The corrupt node first: the download must detect it and fail over.
    const bad = new StorageNodeClient(storage[0]!.rpc);
    const seg = await bad.downloadSegmentWithProofByTxSeq((await bad.getFileInfo(root))!.tx.seq, index);
    expect(seg!.data[1234]).toBe(data[index * SEGMENT + 1234]! ^ 0x5a);
    const sink = createMemorySink();
    await downloadFile({ root, nodes: [storage[0]!.rpc, storage[1]!.rpc, storage[2]!.rpc], sink, concurrency: 1 });
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
  });

  it("with no good copy left the download fails naming the segment and nodes, having written only verified bytes", async () => {
    const { data, root, start, index } = await uploadForCorruption(9002);
    flipOnDisk(storage[0]!.dataDir, start, index * SEGMENT + 10);
    flipOnDisk(storage[2]!.dataDir, start, index * SEGMENT + 20);
    const sink = createMemorySink();
    const err = await downloadFile({ root, nodes: nodeUrls, sink }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageClientError);
    expect(err.code).toBe(StorageClientErrorCode.SEGMENT_UNAVAILABLE);
    expect(err.message).toContain(`segment ${index}`);
    expect(err.message).toContain(storage[0]!.rpc);
    expect(err.message).toContain(storage[2]!.rpc);
    expect(err.message).toMatch(/proof does not verify/);
    const got = sink.bytes();
    expect(got.length).toBe(index * SEGMENT);
    expect(Buffer.from(got).equals(Buffer.from(data.subarray(0, index * SEGMENT)))).toBe(true);
  });
});

describe("zg storage", () => {
  it("upload, info and download through the CLI with the devnet's defaults", async () => {
    const src = join(work, "cli.bin");
    writeRandomFile(src, 3 * MiB + 5, 31);
    const up = await runZg(["storage", "upload", src, "--datadir", datadir], { timeoutMs: 180_000 });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    const root = up.stdout.match(/^root\s+(0x[0-9a-f]{64})$/m)?.[1] as Hex;
    expect(root).toBeDefined();
    expect(up.stdout).toMatch(/^tx seq\s+\d+$/m);

    const info = await runZg(["storage", "info", root, "--datadir", datadir]);
    expect(info.code).toBe(0);
    for (const url of nodeUrls)
      expect(info.stdout).toMatch(new RegExp(`${url}\\s+shard \\d/2\\s+finalized\\s+tx seq \\d+\\s+size ${3 * MiB + 5}`));

    const out = join(work, "cli.out");
    const down = await runZg(["storage", "download", root, out, "--nodes", nodeUrls.join(","), "--json"]);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ root, size: 3 * MiB + 5, segments: 13 });
    expect(await sha256File(out)).toBe(await sha256File(src));
    const again = await runZg(["storage", "download", root, out, "--datadir", datadir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; add --force/);
  });

  it("bad input fails with a clear message and exit code 1", async () => {
    const missingRoot = `0x${"ab".repeat(32)}`;
    const cases: [string[], RegExp][] = [
      [["storage", "upload", join(work, "nope.bin"), "--datadir", datadir], /nope\.bin is not a file/],
      [["storage", "upload", join(work, "cli.bin"), "--datadir", datadir, "--abi", "v3"], /--abi must be "new" or "old"/],
      [["storage", "upload", join(work, "cli.bin"), "--datadir", datadir, "--key", "0x1234"], /private key must be 32 bytes/],
      [["storage", "download", "0x1234", join(work, "x"), "--datadir", datadir], /is not a file root/],
      [["storage", "download", missingRoot, join(work, "x"), "--datadir", datadir], /no storage node has a finalized file/],
      [["storage", "info", missingRoot, "--datadir", datadir], /none of the 3 storage nodes knows a file/],
      [["storage", "info", missingRoot, "--nodes", "ftp://x"], /not a storage node URL/],
      [["storage", "info", missingRoot, "--datadir", join(work, "no-devnet")], /no running devnet found/],
    ];
    for (const [args, message] of cases) {
      const r = await runZg(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    expect(existsSync(join(work, "x"))).toBe(false);
    expect(existsSync(join(work, "x.part"))).toBe(false);
    writeFileSync(join(work, "empty.bin"), "");
    const empty = await runZg(["storage", "upload", join(work, "empty.bin"), "--datadir", datadir]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/non-empty file/);
  });
});
