import { resolve } from "node:path";
import { createLogger, type LogLevel, Metrics } from "@zerog/core";
import { defaultStorageNodeOptions, StorageNode, type StorageNodeOptions } from "@zerog/storage";
import type { Command } from "commander";
import { CliError, CliErrorCode, intArg, mergeOptions, readJsonFile } from "../config.js";

type Flags = Record<string, unknown>;

interface StorageNodeFileConfig extends Partial<StorageNodeOptions> {
  log?: { level?: LogLevel; file?: string };
  metrics?: boolean;
}

const d = defaultStorageNodeOptions;

/** `zg storage node`: a 0G-compatible storage node following a chain. `storage` is the group shared with `zg storage upload|…`. */
export function registerStorageNodeCommand(storage: Command): void {
  storage
    .command("node")
    .description("run a 0G-compatible storage node (zgs_ JSON-RPC) that follows the Flow contract on a chain")
    .option("--config <file>", "JSON config file (StorageNodeOptions); flags override it")
    .option("--chain-rpc, --chain.rpc <url>", `the chain's JSON-RPC URL (default: ${d.chain.rpc})`)
    .option("--rpc.host <host>", `listen address of the zgs_/admin_ JSON-RPC (default: ${d.rpc.host})`)
    .option("--rpc.port <port>", `JSON-RPC port (default: ${d.rpc.port}, 0G's)`, intArg("--rpc.port", 0, 65535))
    .option("--no-rpc.admin", "do not serve admin_* methods")
    .option("--shard <id/num>", "shard of the flow to store: segment i is kept iff i % num == id; num a power of two (default: 0/1)")
    .option("--data-dir, --datadir <dir>", `data directory (default: ${d.dataDir})`)
    .option("--peers <urls>", "comma-separated storage-node RPC URLs to sync missing segments from")
    .option("--flow-address <address>", "the Flow contract (default: Flow from the chain's zg_systemContracts)")
    .option(
      "--log-sync.confirmations <n>",
      `blocks a Submit log waits before it is applied (default: ${d.logSync.confirmations})`,
      intArg("confirmations", 0, 1000),
    )
    .option(
      "--log-sync.start-block <n>",
      `first block to read Submit logs from (default: ${d.logSync.startBlock})`,
      intArg("start-block", 0),
    )
    .option(
      "--max-writings <n>",
      `segment writes in flight before "too many data writing" (default: ${d.chunkPool.maxWritings})`,
      intArg("max-writings", 1),
    )
    .option("--db.durability <mode>", "process: survive process kills (default); fsync: also power loss")
    .option("--log-level, --log.level <level>", "fatal|error|warn|info|debug|trace|silent (default: info)")
    .option("--log.file <file>", "write JSON logs to this file instead of stdout")
    .option("--no-metrics", "do not collect Prometheus metrics (/metrics)")
    .action(async (flags: Flags) => {
      await runStorageNode(flags);
    });
}

function parseShard(v: string): { shardId: number; numShard: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const shardId = Number(m?.[1]);
  const numShard = Number(m?.[2]);
  if (!m || numShard < 1 || (numShard & (numShard - 1)) !== 0 || shardId >= numShard)
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "shard" },
      `--shard must be id/num with num a power of two and id < num, got "${v}"`,
    );
  return { shardId, numShard };
}

/** Flags (and config file) → `StorageNodeOptions`, defaults < file < flags. */
export function storageNodeOptionsFromFlags(flags: Flags): StorageNodeFileConfig & StorageNodeOptions {
  const file = typeof flags.config === "string" ? (readJsonFile(flags.config, "config file") as StorageNodeFileConfig) : {};
  const f: StorageNodeFileConfig = {};
  const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
  const num = (k: string) => (typeof flags[k] === "number" ? (flags[k] as number) : undefined);
  if (str("chain.rpc")) f.chain = { ...d.chain, ...file.chain, rpc: str("chain.rpc")! };
  f.rpc = { ...d.rpc, ...file.rpc };
  if (str("rpc.host")) f.rpc.host = str("rpc.host")!;
  if (num("rpc.port") !== undefined) f.rpc.port = num("rpc.port")!;
  if (flags["rpc.admin"] === false) f.rpc.admin = false;
  if (str("shard")) f.shard = parseShard(str("shard")!);
  if (str("datadir")) f.dataDir = str("datadir")!;
  if (str("peers") !== undefined)
    f.sync = {
      ...d.sync,
      ...file.sync,
      peers: str("peers")!
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    };
  if (str("flowAddress")) f.flowAddress = str("flowAddress") as `0x${string}`;
  const ls = { ...d.logSync, ...file.logSync };
  if (num("logSync.confirmations") !== undefined) ls.confirmations = num("logSync.confirmations")!;
  if (num("logSync.startBlock") !== undefined) ls.startBlock = num("logSync.startBlock")!;
  f.logSync = ls;
  if (num("maxWritings") !== undefined) f.chunkPool = { ...d.chunkPool, ...file.chunkPool, maxWritings: num("maxWritings")! };
  if (str("db.durability")) f.db = { durability: str("db.durability") as StorageNodeOptions["db"]["durability"] };
  f.log = { ...file.log };
  if (str("log.level")) f.log.level = str("log.level") as LogLevel;
  if (str("log.file")) f.log.file = str("log.file")!;
  if (flags.metrics === false) f.metrics = false;
  const merged = mergeOptions<StorageNodeFileConfig & StorageNodeOptions>(d, file, f);
  merged.dataDir = resolve(merged.dataDir);
  if (!["process", "fsync", "unsafe"].includes(merged.db.durability))
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "db.durability" },
      `db.durability must be process, fsync or unsafe, got "${merged.db.durability}"`,
    );
  return merged;
}

async function runStorageNode(flags: Flags): Promise<void> {
  const opts = storageNodeOptionsFromFlags(flags);
  const logger = createLogger({
    level: opts.log?.level ?? "info",
    ...(opts.log?.file ? { file: opts.log.file } : {}),
    base: { node: "storage" },
  });
  const metrics = opts.metrics === false ? null : new Metrics();
  const abort = new AbortController();
  let node: StorageNode | null = null;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    abort.abort();
    try {
      await node?.stop();
    } finally {
      logger.flush();
      process.exit(code);
    }
  };
  node = new StorageNode(opts, { logger, metrics, signal: abort.signal });
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));
  try {
    await node.start();
  } catch (e) {
    // start() has stopped what it started and released the data directory.
    stopping = true;
    logger.flush();
    throw e;
  }
}
