import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import {
  downloadFile,
  getFileInfo,
  type NodeFileInfo,
  type SubmitABI,
  type UploadPhase,
  type UploadProgress,
  uploadFile,
} from "@zerog/sdk";
import { createFileSink, openFileSource } from "@zerog/sdk/node";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { createPublicClient, createWalletClient, defineChain, type Hex, http, isAddress, isHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CliError, CliErrorCode, intArg } from "../config.js";
import type { DevnetManifest } from "../devnet/manifest.js";
import { badArg, readRunningManifest } from "./shared.js";

interface NetworkFlags {
  datadir: string;
  nodes?: string;
  json?: boolean;
}

interface UploadFlags extends NetworkFlags {
  rpc?: string;
  key?: string;
  abi: string;
  flow?: string;
  concurrency: number;
  batchSize: number;
}

interface DownloadFlags extends NetworkFlags {
  concurrency: number;
  batchSize: number;
  force?: boolean;
}

/** `zg storage upload|download|info`: the 0G Storage client. `storage` is the group `zg storage node` shares. */
export function registerStorageCommands(storage: Command): void {
  const network = (c: Command) =>
    c
      .option("--nodes <urls>", "comma-separated storage node URLs (default: the storage nodes of the running devnet)")
      .option("--datadir <dir>", "where `zg devnet` keeps its data; its manifest gives the defaults", ".zerog")
      .option("--json", "print the result as JSON");

  network(
    storage
      .command("upload")
      .argument("<file>", "the file to store")
      .description(
        "store a file: compute its root while streaming, submit it to Flow, upload its segments, wait until the nodes finalize it",
      )
      .option("--rpc <url>", "chain JSON-RPC URL (default: the running devnet's)")
      .option("--key <hex>", "private key paying for the submission (default: the devnet's account 0)")
      .option("--abi <abi>", "Flow submit ABI: new (Submission{data, submitter}) or old (@0glabs/0g-ts-sdk ≤ 0.3.3)", "new")
      .option("--flow <address>", "Flow contract (default: the one the storage nodes follow)")
      .option("--concurrency <n>", "upload requests in flight", intArg("--concurrency", 1, 256), 4)
      .option("--batch-size <n>", "segments (256 KiB each) per upload request", intArg("--batch-size", 1, 64), 4),
  ).action(async (file: string, flags: UploadFlags) => {
    await upload(file, flags);
  });

  network(
    storage
      .command("download")
      .argument("<root>", "the file root printed by `zg storage upload`")
      .argument("<out>", "where to write the file")
      .description("download a file by root, verifying every segment's proof; fails over to another node on a bad or missing segment")
      .option("--concurrency <n>", "download requests in flight", intArg("--concurrency", 1, 256), 3)
      .option("--batch-size <n>", "segments (256 KiB each) per download request (a JSON-RPC batch)", intArg("--batch-size", 1, 64), 8)
      .option("--force", "overwrite <out> if it exists"),
  ).action(async (root: string, out: string, flags: DownloadFlags) => {
    await download(root, out, flags);
  });

  network(
    storage
      .command("info")
      .argument("<root>", "the file root")
      .description("what each storage node knows of a file: finalized, tx seq, size, shard"),
  ).action(async (root: string, flags: NetworkFlags) => {
    await info(root, flags);
  });
}

async function upload(file: string, f: UploadFlags): Promise<void> {
  if (!existsSync(file) || !statSync(file).isFile()) throw badArg("file", `${file} is not a file`);
  if (f.abi !== "new" && f.abi !== "old") throw badArg("abi", `--abi must be "new" or "old", got "${f.abi}"`);
  if (f.flow !== undefined && !isAddress(f.flow)) throw badArg("flow", `--flow must be a 20-byte hex address, got "${f.flow}"`);
  const manifest = readRunningManifest(f.datadir);
  const nodes = nodeUrls(f, manifest);
  const rpc = f.rpc ?? manifest?.rpcUrls[0];
  if (!rpc) throw noDevnet(f.datadir, "--rpc");
  const key = f.key ?? manifest?.accounts[0]?.privateKey;
  if (!key) throw noDevnet(f.datadir, "--key");
  const account = privateKeyToAccount(parseKey(key));

  const transport = http(rpc, { timeout: 60_000 });
  let chainId: number;
  try {
    chainId = await createPublicClient({ transport }).getChainId();
  } catch (e) {
    throw new CliError({ code: CliErrorCode.BAD_ARGUMENT, detail: "rpc" }, `cannot reach the chain at ${rpc}: ${(e as Error).message}`);
  }
  const chain = defineChain({
    id: chainId,
    name: "zerog",
    nativeCurrency: { name: "ZG", symbol: "ZG", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
  const client = createWalletClient({ account, chain, transport });

  const source = await openFileSource(file);
  const bar = progressBar(f.json);
  const started = performance.now();
  let phase: UploadPhase | null = null;
  try {
    const r = await uploadFile(client, {
      data: source,
      nodes,
      abi: f.abi as SubmitABI,
      concurrency: f.concurrency,
      batchSize: f.batchSize,
      ...(f.flow ? { flowAddress: f.flow as Hex } : {}),
      onProgress: (p: UploadProgress) => {
        if (p.phase !== phase) {
          phase = p.phase;
          bar.phase(PHASES[p.phase], p.phase === "hashing" || p.phase === "uploading" ? p.bytesTotal : 0);
        }
        if (p.phase === "hashing" || p.phase === "uploading") bar.update(p.bytesDone);
      },
    });
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    if (f.json) console.log(JSON.stringify({ ...r, seconds }));
    else {
      console.log(`root     ${r.root}`);
      console.log(`tx seq   ${r.txSeq}`);
      console.log(`tx hash  ${r.txHash ?? "none: the nodes already stored this file"}`);
      console.log(`size     ${r.size} bytes in ${seconds.toFixed(1)} s (${mbps(r.size, seconds)})`);
    }
  } finally {
    bar.stop();
    await source.close();
  }
}

const PHASES: Record<UploadPhase, string> = {
  hashing: "hashing  ",
  submitting: "submitting",
  syncing: "syncing  ",
  uploading: "uploading",
  finalizing: "finalizing",
  done: "done     ",
};

async function download(rootArg: string, out: string, f: DownloadFlags): Promise<void> {
  const root = parseRoot(rootArg);
  if (existsSync(out) && !f.force) throw badArg("out", `${out} exists; add --force to overwrite it`);
  const nodes = nodeUrls(f, readRunningManifest(f.datadir));
  const sink = await createFileSink(out);
  const bar = progressBar(f.json);
  const started = performance.now();
  try {
    let shown = false;
    const r = await downloadFile({
      root,
      nodes,
      sink,
      concurrency: f.concurrency,
      batchSize: f.batchSize,
      onProgress: (p) => {
        if (!shown) {
          shown = true;
          bar.phase("download ", p.bytesTotal);
        }
        bar.update(p.bytesDone);
      },
    });
    await sink.close();
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    if (f.json) console.log(JSON.stringify({ ...r, out, seconds }));
    else console.log(`wrote ${out}: ${r.size} bytes, ${r.segments} segments verified, ${seconds.toFixed(1)} s (${mbps(r.size, seconds)})`);
  } catch (e) {
    bar.stop();
    await sink.abort();
    throw e;
  }
}

async function info(rootArg: string, f: NetworkFlags): Promise<void> {
  const root = parseRoot(rootArg);
  const nodes = nodeUrls(f, readRunningManifest(f.datadir));
  const r = await getFileInfo({ root, nodes });
  if (f.json) console.log(JSON.stringify(r));
  else {
    console.log(`file ${r.root}`);
    for (const n of r.nodes) console.log(`  ${n.url}  ${describeNode(n)}`);
  }
  if (!r.nodes.some((n) => n.info !== null)) {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "root" },
      `none of the ${nodes.length} storage nodes knows a file with root ${root}`,
    );
  }
}

function describeNode(n: NodeFileInfo): string {
  if (n.error !== null) return `error: ${n.error}`;
  const shard = n.shard ? `shard ${n.shard.shardId}/${n.shard.numShard}` : "shard ?";
  if (n.info === null) return `${shard}  not found`;
  const { tx, finalized, uploadedSegNum } = n.info;
  const state = finalized ? "finalized" : `not finalized (${uploadedSegNum} segments uploaded)`;
  return `${shard}  ${state}  tx seq ${tx.seq}  size ${tx.size}  flow start ${tx.startEntryIndex}`;
}

function nodeUrls(f: NetworkFlags, manifest: DevnetManifest | null): string[] {
  const urls = f.nodes
    ? f.nodes
        .split(",")
        .map((u) => u.trim())
        .filter(Boolean)
    : (manifest?.nodes.filter((n) => n.role === "storage").map((n) => n.rpc) ?? []);
  if (urls.length === 0) {
    if (f.nodes !== undefined) throw badArg("nodes", "--nodes lists no URL");
    if (manifest) throw badArg("nodes", "the running devnet has no storage nodes; pass --nodes or restart it with --storage.nodes 2");
    throw noDevnet(f.datadir, "--nodes");
  }
  for (const u of urls) {
    if (!/^https?:\/\/[^/]+/.test(u)) throw badArg("nodes", `"${u}" is not a storage node URL such as http://127.0.0.1:5678`);
  }
  return urls;
}

function parseRoot(root: string): Hex {
  if (!isHex(root) || root.length !== 66)
    throw badArg("root", `"${root}" is not a file root (0x and 64 hex digits, as printed by zg storage upload)`);
  return root;
}

function parseKey(key: string): Hex {
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  if (!isHex(hex) || hex.length !== 66) throw badArg("key", "the private key must be 32 bytes of hex");
  return hex;
}

function noDevnet(datadir: string, flag: string): CliError {
  return badArg(flag.slice(2), `no running devnet found under ${resolve(datadir)}; start one with \`zg devnet\` or pass ${flag}`);
}

function mbps(bytes: number, seconds: number): string {
  return `${(bytes / 1e6 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s`;
}

/** One bar reused across phases; silent when stderr is not a terminal or the output is JSON. */
function progressBar(quiet: boolean | undefined): { phase(name: string, total: number): void; update(v: number): void; stop(): void } {
  const bar = new SingleBar({
    format: "{phase} |{bar}| {percentage}% {value_mb}/{total_mb} MB {speed} ETA {eta_formatted}",
    hideCursor: true,
    clearOnComplete: false,
    noTTYOutput: false,
    stream: process.stderr,
  });
  let active = false;
  let started = 0;
  const payload = (value: number, total: number) => ({
    value_mb: (value / 1e6).toFixed(1),
    total_mb: (total / 1e6).toFixed(1),
    speed: `${(value / 1e6 / Math.max((performance.now() - started) / 1000, 1e-3)).toFixed(1)} MB/s`,
  });
  let total = 0;
  let current = "";
  return {
    phase(name, t) {
      if (quiet || !process.stderr.isTTY) return;
      total = t;
      current = name;
      started = performance.now();
      if (active) bar.stop();
      active = false;
      if (t === 0) process.stderr.write(`${name.trim()}…\n`);
      else {
        bar.start(t, 0, { phase: current, ...payload(0, t) });
        active = true;
      }
    },
    update(v) {
      if (active) bar.update(v, { phase: current, ...payload(v, total) });
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}
