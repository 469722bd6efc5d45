import { execFile } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startDevnet, stopDevnet } from "../devnetProcess.js";

const CLIENT = fileURLToPath(new URL("./client.js", import.meta.url));
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

    const devnet = await startDevnet(join(dir, "zerog"), ["--da.signers", "0", "--compute.providers", "0"]);
    const storageNodes = devnet.nodes.filter((n) => n.role === "storage").map((n) => n.rpc);
    let up: PhaseResult;
    let down: PhaseResult;
    try {
      up = await runClient(["upload", file, devnet.rpc, KEY, storageNodes.join(",")]);
      console.log(`  upload: submit → finalized ${((up.submitToFinalMs as number) / 1000).toFixed(2)} s`);
      down = await runClient(["download", up.root as string, out, storageNodes.join(",")]);
      console.log(
        `  verified download ${((down.ms as number) / 1000).toFixed(2)} s (${((down.fetchedMs as number) / 1000).toFixed(2)} s before the output file's fsync)`,
      );
    } finally {
      await stopDevnet(devnet.child);
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
