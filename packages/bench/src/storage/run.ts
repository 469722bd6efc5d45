import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NODE_RUNTIME_FLAGS } from "@zerog/cli";
import { freePort } from "../targets.js";

const require = createRequire(import.meta.url);
const CLIENT = fileURLToPath(new URL("./client.js", import.meta.url));
const ZG = join(dirname(require.resolve("@zerog/cli/package.json")), "dist/bin/zg.js");
/** Account 0 of the devnet's test mnemonic. */
const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

interface PhaseResult {
  maxRssMiB: number;
  [k: string]: unknown;
}

function runClient(args: string[]): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLIENT, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`client ${args[0]} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as PhaseResult);
    });
  });
}

function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  const buf = new Uint8Array(4 << 20);
  for (let done = 0; done < bytes; done += buf.length) {
    randomFillSync(buf);
    writeSync(fd, buf, 0, Math.min(buf.length, bytes - done));
  }
  closeSync(fd);
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path, { highWaterMark: 4 << 20 })
      .on("data", (d) => h.update(d))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

async function startDevnet(dir: string): Promise<{ child: ChildProcess; rpc: string; nodes: string[] }> {
  const port = await freePort();
  const storagePort = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...NODE_RUNTIME_FLAGS,
      ZG,
      "devnet",
      "--datadir",
      dir,
      "--rpc.port",
      String(port),
      "--storage.port",
      String(storagePort),
      "--log-level",
      "warn",
      "--da.signers",
      "0",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const deadline = Date.now() + 120_000;
  while (!/zerog devnet running/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`devnet did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const manifest = JSON.parse(readFileSync(join(dir, "devnet", "devnet.json"), "utf8")) as {
    rpcUrls: string[];
    nodes: { role: string; rpc: string }[];
  };
  return { child, rpc: manifest.rpcUrls[0]!, nodes: manifest.nodes.filter((n) => n.role === "storage").map((n) => n.rpc) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await done;
}

/** A file of `mib` MiB on a 2-node devnet (numShard 2): root vs 0G's SDK, upload, verified download, client memory. */
export async function benchStorage(mib: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "zg-bench-storage-"));
  const size = mib * 1024 * 1024;
  const file = join(dir, "input.bin");
  const out = join(dir, "output.bin");
  try {
    console.log(`\n0G Storage: a ${mib} MiB file on a devnet with 2 storage nodes (numShard 2)`);
    writeRandomFile(file, size);
    const ours = await runClient(["root-zerog", file]);
    console.log(`  file root, zerog FileHasher: ${(size / 1048576 / ((ours.ms as number) / 1000)).toFixed(1)} MB/s`);
    const theirs = await runClient(["root-0g", file]);
    console.log(`  file root, @0glabs/0g-ts-sdk merkleTree(): ${(size / 1048576 / ((theirs.ms as number) / 1000)).toFixed(1)} MB/s`);
    if (ours.root !== theirs.root) throw new Error(`roots differ: zerog ${ours.root}, 0G SDK ${theirs.root}`);

    const devnet = await startDevnet(join(dir, "zerog"));
    let up: PhaseResult;
    let down: PhaseResult;
    try {
      up = await runClient(["upload", file, devnet.rpc, KEY, devnet.nodes.join(",")]);
      console.log(`  upload: submit → finalized ${((up.submitToFinalMs as number) / 1000).toFixed(2)} s`);
      down = await runClient(["download", up.root as string, out, devnet.nodes.join(",")]);
      console.log(
        `  verified download ${((down.ms as number) / 1000).toFixed(2)} s (${((down.fetchedMs as number) / 1000).toFixed(2)} s before the output file's fsync)`,
      );
    } finally {
      await stop(devnet.child);
    }
    const same = (await sha256File(file)) === (await sha256File(out));
    const mbps = (ms: number) => (size / 1048576 / (ms / 1000)).toFixed(1);
    const rootRatio = (theirs.ms as number) / (ours.ms as number);
    console.log(`\n| storage, ${mib} MiB file | figure | target | peer in the same run | client peak RSS |\n|---|---:|---:|---|---:|`);
    console.log(
      `| file root | ${mbps(ours.ms as number)} MB/s | ≥ 5× 0G SDK | 0G SDK ${mbps(theirs.ms as number)} MB/s → **${rootRatio.toFixed(1)}×** | ${ours.maxRssMiB.toFixed(0)} MiB (0G SDK ${theirs.maxRssMiB.toFixed(0)} MiB) |`,
    );
    console.log(
      `| upload (submit → finalized on both nodes) | ${mbps(up.submitToFinalMs as number)} MB/s | ≥ 100 MB/s | hashing first: ${((up.marks as Record<string, number>).submitting! / 1000).toFixed(2)} s | ${up.maxRssMiB.toFixed(0)} MiB |`,
    );
    console.log(
      `| download, every proof verified | ${mbps(down.ms as number)} MB/s | ≥ 150 MB/s | bytes equal: ${same} | ${down.maxRssMiB.toFixed(0)} MiB |`,
    );
    if (!same) throw new Error("downloaded bytes differ from the uploaded file");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
