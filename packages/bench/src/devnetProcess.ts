import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { NODE_RUNTIME_FLAGS } from "@zerog/cli";
import { freePort, freePorts } from "./targets.js";

const require = createRequire(import.meta.url);
const ZG = join(dirname(require.resolve("@zerog/cli/package.json")), "dist/bin/zg.js");

export interface DevnetProcess {
  child: ChildProcess;
  rpc: string;
  nodes: { name: string; role: string; rpc: string; pid: number; dataDir: string }[];
}

/** `zg devnet` in `dir` on free ports (chain, storage, DA and compute), started and read from its manifest. */
export async function startDevnet(dir: string, extra: string[] = []): Promise<DevnetProcess> {
  // One block below the ephemeral range for every service that binds late: storage-i, da-signer-i, the disperser.
  const [port, p2p, base] = [await freePort(), await freePort(), await freePorts(8 + 4 + 1 + 2)];
  const [storagePort, daPort, disperserPort, computePort] = [base, base + 8, base + 12, base + 13];
  const args = [...NODE_RUNTIME_FLAGS, ZG, "devnet", "--datadir", dir, "--rpc.port", String(port), "--p2p.port", String(p2p)];
  args.push("--storage.port", String(storagePort), "--da.port", String(daPort), "--da.disperser-port", String(disperserPort));
  args.push("--compute.port", String(computePort), "--log-level", "warn", ...extra);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
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
    nodes: DevnetProcess["nodes"];
  };
  return { child, rpc: manifest.rpcUrls[0]!, nodes: manifest.nodes };
}

export async function stopDevnet(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await done;
}
