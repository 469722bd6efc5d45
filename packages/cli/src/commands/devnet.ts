import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { intArg, readJsonFile } from "../config.js";
import { computeAccounts, planCompute } from "../devnet/computeLayout.js";
import { type PlannedDAProcess, planDA } from "../devnet/daLayout.js";
import { checkExistingGenesis, devnetValidatorKeys, planDevnet, planStorageNodes } from "../devnet/layout.js";
import { type DevnetManifest, writeManifest } from "../devnet/manifest.js";
import { chainNodeRuntimeFlags, type RunningProcess, spawnNode, stopProcess, waitReady } from "../devnet/supervisor.js";
import { deriveAccounts, TEST_MNEMONIC } from "../mnemonic.js";
import { buildDevGenesis } from "./genesis.js";

export interface DevnetFlags {
  datadir: string;
  reset?: boolean;
  chainId: number;
  accounts: number;
  mnemonic: string;
  validators: number;
  "rpc.host": string;
  "rpc.port": number;
  "p2p.port": number;
  "producer.blockTime": number;
  "storage.nodes": number;
  "storage.shards": number;
  "storage.port": number;
  "da.signers": number;
  "da.port": number;
  "da.disperserPort": number;
  "compute.providers": number;
  "compute.port": number;
  logLevel: string;
}

export function registerDevnetCommand(program: Command): void {
  program
    .command("devnet")
    .description("start a local zerog network (data under <datadir>/devnet); Ctrl-C stops it")
    .option("--datadir <dir>", "where zerog keeps its data", ".zerog")
    .option("--reset", "wipe the devnet's data first")
    .option(
      "--validators <n>",
      "validator processes (BFT consensus); with more than one, an RPC full node serves --rpc.port",
      intArg("--validators", 1, 64),
      1,
    )
    .option("--chain-id <id>", "chain id of a new devnet", intArg("--chain-id", 1), 31337)
    .option("--accounts <n>", "funded accounts of the mnemonic", intArg("--accounts", 1, 1000), 10)
    .option("--mnemonic <words>", "mnemonic of the funded accounts", TEST_MNEMONIC)
    .option("--rpc.host <host>", "listen address of every node", "127.0.0.1")
    .option(
      "--rpc.port <port>",
      "the devnet's JSON-RPC port (HTTP and WebSocket); validators of a multi-node devnet use the next ports",
      intArg("--rpc.port", 1, 65535),
      8545,
    )
    .option("--p2p.port <port>", "first p2p port (one per node)", intArg("--p2p.port", 1, 65535), 26656)
    .option("--producer.block-time <ms>", "least time between blocks while transactions wait", intArg("--producer.block-time", 1), 250)
    .option("--storage.nodes <n>", "0G storage nodes (0: none)", intArg("--storage.nodes", 0, 64), 2)
    .option("--storage.shards <n>", "numShard of the storage nodes (node i stores shard i % n)", intArg("--storage.shards", 1, 64), 2)
    .option(
      "--storage.port <port>",
      "zgs_ JSON-RPC port of storage-0; the others use the next ports",
      intArg("--storage.port", 1, 65535),
      5678,
    )
    .option(
      "--da.signers <n>",
      "0G DA signers, registered in the genesis epoch of a new devnet, and a disperser (0: none)",
      intArg("--da.signers", 0, 20),
      4,
    )
    .option("--da.port <port>", "HTTP port of da-signer-0; the others use the next ports", intArg("--da.port", 1, 65535), 34000)
    .option("--da.disperser-port <port>", "HTTP port of the DA disperser", intArg("--da.disperser-port", 1, 65535), 51001)
    .option(
      "--compute.providers <n>",
      "0G Compute: a provider serving the built-in deterministic model, registered on chain, and a staked verifier (0: none)",
      intArg("--compute.providers", 0, 1),
      1,
    )
    .option(
      "--compute.port <port>",
      "HTTP port of the compute provider; the verifier's status API uses the next",
      intArg("--compute.port", 1, 65535),
      3080,
    )
    .option("--log-level <level>", "log level of the nodes", "info")
    .action(async (flags: DevnetFlags) => {
      await runDevnet(flags);
    });
}

async function runDevnet(f: DevnetFlags): Promise<void> {
  const dir = resolve(f.datadir, "devnet");
  if (f.reset) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const genesisPath = join(dir, "genesis.json");
  checkExistingGenesis(genesisPath, f.validators, f["storage.nodes"] > 0, f["da.signers"] > 0, f["compute.providers"] > 0);
  const fresh = !existsSync(genesisPath);
  const chainId = fresh ? f.chainId : Number((readJsonFile(genesisPath, "genesis") as { chainId: number }).chainId);
  const accounts = deriveAccounts(f.mnemonic, f.accounts).map(({ address, privateKey }) => ({ address, privateKey }));
  const nodes = planDevnet(dir, {
    validators: f.validators,
    host: f["rpc.host"],
    rpcPort: f["rpc.port"],
    p2pPort: f["p2p.port"],
    blockTime: f["producer.blockTime"],
    logLevel: f.logLevel,
  });
  const main = nodes[0]!;
  // Signer keys first: a new genesis registers them (their epoch-0 signatures commit to its chain id).
  const da = planDA(dir, {
    signers: f["da.signers"],
    host: f["rpc.host"],
    port: f["da.port"],
    disperserPort: f["da.disperserPort"],
    chainRpc: main.rpc,
    chainId,
    mnemonic: f.mnemonic,
    logLevel: f.logLevel,
  });
  const compute = planCompute(dir, {
    providers: f["compute.providers"],
    host: f["rpc.host"],
    port: f["compute.port"],
    chainRpc: main.rpc,
    mnemonic: f.mnemonic,
    logLevel: f.logLevel,
  });
  if (fresh) {
    const validators = devnetValidatorKeys(dir, f.validators);
    const genesis = await buildDevGenesis({
      chainId,
      mnemonic: f.mnemonic,
      accounts: f.accounts,
      balance: 10_000n,
      validators,
      // Deployed even without signer processes, so every devnet has the DA contracts.
      da: { signers: da.genesisSigners },
      // The compute accounts are funded even when no compute process runs now, so a later start can stake.
      extraAccounts: [...da.accounts, ...computeAccounts(f.mnemonic)],
    });
    writeFileSync(genesisPath, `${JSON.stringify(genesis, null, 2)}\n`);
  }
  const storageNodes = planStorageNodes(dir, {
    nodes: f["storage.nodes"],
    shards: f["storage.shards"],
    host: f["rpc.host"],
    port: f["storage.port"],
    chainRpc: main.rpc,
    logLevel: f.logLevel,
  });
  const manifestPath = join(dir, "devnet.json");
  const manifest: DevnetManifest = {
    status: "starting",
    chainId,
    rpcUrls: nodes.map((n) => n.rpc),
    wsUrls: nodes.map((n) => n.ws),
    genesis: genesisPath,
    nodes: [],
    accounts,
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
  };
  const procs: RunningProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number, why?: string) => {
    if (stopping) return;
    stopping = true;
    if (why) console.error(why);
    console.log("\nstopping devnet…");
    await Promise.all(procs.map((p) => stopProcess(p)));
    writeManifest(manifestPath, { ...manifest, status: "stopped" });
    console.log("devnet stopped");
    process.exit(code);
  };
  process.once("SIGINT", () => void stopAll(0));
  process.once("SIGTERM", () => void stopAll(0));

  for (const n of nodes) {
    procs.push(
      spawnNode({
        name: n.name,
        args: ["node", "start", "--config", n.configPath],
        logFile: join(n.dir, "node.log"),
        readyUrl: n.rpc,
        nodeFlags: chainNodeRuntimeFlags(nodes.length),
      }),
    );
  }
  try {
    await Promise.all(procs.map((p) => waitReady(p, 60_000)));
    // Storage nodes and DA signers read the chain (system contracts, logs), so they start once it answers.
    for (const s of storageNodes) {
      procs.push(
        spawnNode({ name: s.name, args: s.args, logFile: join(s.dir, "node.log"), readyUrl: s.rpc, readyMethod: "zgs_getStatus" }),
      );
    }
    for (const s of da.signers) procs.push(spawnService(s));
    await Promise.all(procs.slice(nodes.length).map((p) => waitReady(p, 60_000)));
    // The disperser sends each blob to the signers of its quorum, so it starts once they answer.
    if (da.disperser) {
      const p = spawnService(da.disperser);
      procs.push(p);
      await waitReady(p, 60_000);
    }
    // The provider stakes and registers its service, the verifier stakes: both need the chain, neither needs DA.
    const computeProcs = compute.processes.map((c) => spawnService(c));
    procs.push(...computeProcs);
    await Promise.all(computeProcs.map((p) => waitReady(p, 60_000)));
  } catch (e) {
    await stopAll(1, `devnet failed to start: ${(e as Error).message}`);
    return;
  }
  // In the order of `procs`: what the manifest says of each process besides its pid, data dir and log.
  const described = [
    ...nodes.map((n) => ({ name: n.name, dir: n.dir, role: n.role, rpc: n.rpc, ws: n.ws, p2p: n.p2p })),
    ...storageNodes.map((s) => ({ name: s.name, dir: s.dir, role: "storage" as const, rpc: s.rpc })),
    ...[...da.signers, ...(da.disperser ? [da.disperser] : [])].map((s) => ({ name: s.name, dir: s.dir, role: s.role, rpc: s.rpc })),
    ...compute.processes.map((c) => ({ name: c.name, dir: c.dir, role: c.role, rpc: c.rpc })),
  ];
  for (const [i, p] of procs.entries()) {
    const { dir, ...entry } = described[i]!;
    const log = join(dir, "node.log");
    p.child.once("exit", (code, signal) => {
      const why = `${entry.name} exited unexpectedly (${signal ?? `code ${code}`}); see ${log}`;
      // DA processes are replicas of a quorum (any 3 of 4 signers confirm, any 2 serve): the devnet degrades, as a
      // network would, instead of stopping; the chain and storage nodes are essential.
      if (
        entry.role === "da-signer" ||
        entry.role === "da-disperser" ||
        entry.role === "compute-provider" ||
        entry.role === "compute-verifier"
      ) {
        if (!stopping) console.error(`${why}; the devnet keeps running without it`);
      } else void stopAll(1, why);
    });
    manifest.nodes.push({ ...entry, pid: p.child.pid!, dataDir: dir, log });
  }
  manifest.rpcUrls = [main.rpc, ...nodes.slice(1).map((n) => n.rpc)];
  manifest.status = "running";
  writeManifest(manifestPath, manifest);
  printBanner(manifest, manifestPath);
}

/** A DA or compute process: ready once its HTTP API answers `readyPath` with one of `readyStatus`. */
function spawnService(p: Pick<PlannedDAProcess, "name" | "args" | "dir" | "rpc" | "readyPath" | "readyStatus">): RunningProcess {
  return spawnNode({
    name: p.name,
    args: p.args,
    logFile: join(p.dir, "node.log"),
    readyUrl: p.rpc,
    readyPath: p.readyPath,
    readyStatus: p.readyStatus,
  });
}

function printBanner(m: DevnetManifest, manifestPath: string): void {
  const lines = [
    "",
    "zerog devnet running",
    `  chain id   ${m.chainId}`,
    `  JSON-RPC   ${m.rpcUrls[0]}  (WebSocket ${m.wsUrls[0]})`,
    ...m.nodes.filter((n) => n.role === "storage").map((n) => `  storage    ${n.rpc}  (${n.name}, zgs_ JSON-RPC)`),
    ...m.nodes.filter((n) => n.role === "da-signer").map((n) => `  DA signer  ${n.rpc}  (${n.name})`),
    ...m.nodes.filter((n) => n.role === "da-disperser").map((n) => `  DA disperser ${n.rpc}`),
    ...m.nodes
      .filter((n) => n.role === "compute-provider")
      .map((n) => `  compute    ${n.rpc}/v1/proxy  (built-in model; zg compute services)`),
    ...m.nodes.filter((n) => n.role === "compute-verifier").map((n) => `  verifier   ${n.rpc}/status`),
    `  manifest   ${manifestPath}`,
    "",
    "Funded accounts (10,000 ZG each):",
    ...m.accounts.map((a, i) => `  (${i}) ${a.address}  key ${a.privateKey}`),
    "",
    "Nodes:",
    ...m.nodes.map((n) => `  ${n.name.padEnd(12)} ${n.role.padEnd(12)} pid ${String(n.pid).padEnd(7)} ${n.rpc}  log ${n.log}`),
    "",
    "Press Ctrl-C to stop.",
  ];
  console.log(lines.join("\n"));
}
