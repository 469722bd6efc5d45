import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { intArg, readJsonFile } from "../config.js";
import { type DevnetManifest, writeManifest } from "../devnet/manifest.js";
import { type RunningProcess, spawnNode, stopProcess, waitReady } from "../devnet/supervisor.js";
import { deriveAccounts, TEST_MNEMONIC } from "../mnemonic.js";
import { buildDevGenesis } from "./genesis.js";

export interface DevnetFlags {
  datadir: string;
  reset?: boolean;
  chainId: number;
  accounts: number;
  mnemonic: string;
  "rpc.host": string;
  "rpc.port": number;
  "producer.blockTime": number;
  logLevel: string;
}

export function registerDevnetCommand(program: Command): void {
  program
    .command("devnet")
    .description("start a local zerog network (data under <datadir>/devnet); Ctrl-C stops it")
    .option("--datadir <dir>", "where zerog keeps its data", ".zerog")
    .option("--reset", "wipe the devnet's data first")
    .option("--chain-id <id>", "chain id of a new devnet", intArg("--chain-id", 1), 31337)
    .option("--accounts <n>", "funded accounts of the mnemonic", intArg("--accounts", 1, 1000), 10)
    .option("--mnemonic <words>", "mnemonic of the funded accounts", TEST_MNEMONIC)
    .option("--rpc.host <host>", "JSON-RPC listen address", "127.0.0.1")
    .option("--rpc.port <port>", "JSON-RPC port (HTTP and WebSocket)", intArg("--rpc.port", 1, 65535), 8545)
    .option("--producer.block-time <ms>", "least time between blocks while transactions wait", intArg("--producer.block-time", 1), 250)
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
  if (!existsSync(genesisPath)) {
    writeFileSync(
      genesisPath,
      `${JSON.stringify(buildDevGenesis({ chainId: f.chainId, mnemonic: f.mnemonic, accounts: f.accounts, balance: 10_000n }), null, 2)}\n`,
    );
  }
  const chainId = Number((readJsonFile(genesisPath, "genesis") as { chainId: number }).chainId);
  const accounts = deriveAccounts(f.mnemonic, f.accounts).map(({ address, privateKey }) => ({ address, privateKey }));
  const nodeDir = join(dir, "node0");
  mkdirSync(nodeDir, { recursive: true });
  const rpc = `http://${f["rpc.host"]}:${f["rpc.port"]}`;
  const ws = `ws://${f["rpc.host"]}:${f["rpc.port"]}`;
  const configPath = join(nodeDir, "config.json");
  writeFileSync(
    configPath,
    `${JSON.stringify(
      {
        dataDir: ".",
        genesis: "../genesis.json",
        rpc: { host: f["rpc.host"], port: f["rpc.port"] },
        producer: { enabled: true, blockTime: f["producer.blockTime"], coinbase: accounts[0]!.address },
        log: { level: f.logLevel },
      },
      null,
      2,
    )}\n`,
  );
  const manifestPath = join(dir, "devnet.json");
  const manifest: DevnetManifest = {
    status: "starting",
    chainId,
    rpcUrls: [rpc],
    wsUrls: [ws],
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

  const chain = spawnNode({
    name: "node0",
    args: ["node", "start", "--config", configPath],
    logFile: join(nodeDir, "node.log"),
    readyUrl: rpc,
  });
  procs.push(chain);
  try {
    await waitReady(chain, 60_000);
  } catch (e) {
    await stopAll(1, `devnet failed to start: ${(e as Error).message}`);
    return;
  }
  chain.child.once(
    "exit",
    (code, signal) => void stopAll(1, `node0 exited unexpectedly (${signal ?? `code ${code}`}); see ${join(nodeDir, "node.log")}`),
  );
  manifest.nodes.push({
    name: "node0",
    role: "validator",
    pid: chain.child.pid!,
    rpc,
    ws,
    dataDir: nodeDir,
    log: join(nodeDir, "node.log"),
  });
  manifest.status = "running";
  writeManifest(manifestPath, manifest);
  printBanner(manifest, manifestPath);
}

function printBanner(m: DevnetManifest, manifestPath: string): void {
  const lines = [
    "",
    "zerog devnet running",
    `  chain id   ${m.chainId}`,
    `  JSON-RPC   ${m.rpcUrls[0]}  (WebSocket ${m.wsUrls[0]})`,
    `  manifest   ${manifestPath}`,
    "",
    "Funded accounts (10,000 ZG each):",
    ...m.accounts.map((a, i) => `  (${i}) ${a.address}  key ${a.privateKey}`),
    "",
    "Nodes:",
    ...m.nodes.map((n) => `  ${n.name.padEnd(8)} ${n.role.padEnd(10)} pid ${n.pid}  ${n.rpc}  log ${n.log}`),
    "",
    "Press Ctrl-C to stop.",
  ];
  console.log(lines.join("\n"));
}
