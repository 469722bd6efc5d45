import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  ChainNode,
  type ChainNodeOptions,
  defaultBlockProducerOptions,
  defaultChainNodeOptions,
  defaultExecutionOptions,
  parseGenesis,
} from "@zerog/chain";
import { createLogger, isAddress, type LogLevel, Metrics } from "@zerog/core";
import type { Command } from "commander";
import { CliError, CliErrorCode, dottedToNested, intArg, mergeOptions, readJsonFile } from "../config.js";

interface NodeFileConfig extends Partial<ChainNodeOptions> {
  genesis?: string;
  log?: { level?: LogLevel; file?: string };
  metrics?: boolean;
}

export function registerNodeCommands(program: Command): void {
  const node = program.command("node").description("run a chain node");
  node
    .command("start")
    .description("start a chain node (JSON-RPC, mempool, block production) in the foreground")
    .option("--config <file>", "JSON config file; flags override it")
    .option("--datadir <dir>", `data directory (default: ${defaultChainNodeOptions.dataDir})`)
    .option("--genesis <file>", "genesis JSON (default: <datadir>/genesis.json)")
    .option("--rpc.host <host>", `JSON-RPC listen address (default: ${defaultChainNodeOptions.rpc.host})`)
    .option(
      "--rpc.port <port>",
      `JSON-RPC port, HTTP and WebSocket (default: ${defaultChainNodeOptions.rpc.port})`,
      intArg("--rpc.port", 0, 65535),
    )
    .option(
      "--producer.block-time <ms>",
      `least time between blocks while transactions wait (default: ${defaultBlockProducerOptions.blockTime})`,
      intArg("--producer.block-time", 1),
    )
    .option(
      "--producer.empty-block-interval <ms>",
      `most time between blocks when idle (default: ${defaultBlockProducerOptions.emptyBlockInterval})`,
      intArg("--producer.empty-block-interval", 1),
    )
    .option("--producer.coinbase <address>", "address receiving priority fees")
    .option("--no-producer.enabled", "do not produce blocks (read-only node)")
    .option("--rpc.admin", "serve admin_* methods (peers, partitions); for operators and tests, never on a public port")
    .option("--p2p.listen.host <host>", "p2p listen address (consensus networks; default 127.0.0.1)")
    .option("--p2p.listen.port <port>", "p2p port (default 26656)", intArg("--p2p.listen.port", 0, 65535))
    .option("--p2p.persistent-peers <list>", "comma-separated nodeId@host:port peers to stay connected to")
    .option("--p2p.seeds <list>", "comma-separated nodeId@host:port seed nodes for peer discovery")
    .option("--consensus.validator-key-file <file>", "BLS validator key (JSON); without it the node follows consensus as a full node")
    .option(
      "--no-consensus.previews",
      "neither send nor build block previews (without them a proposal is executed by the others only once it arrives)",
    )
    .option(
      "--recovery.workers <n>",
      "worker threads recovering transaction senders (default: cores − 1; 0 = main thread)",
      intArg("--recovery.workers", 0, 64),
    )
    .option("--log.level <level>", "fatal|error|warn|info|debug|trace|silent (default: info)")
    .option("--log.file <file>", "write JSON logs to this file instead of stdout")
    .option("--no-metrics", "do not collect Prometheus metrics (/metrics)")
    .option(
      "--db.durability <mode>",
      "process: survive process kills (default); fsync: also power loss, slower; unsafe: fastest, an OS crash can corrupt the database",
    )
    .option(
      "--execution.state-write-interval <blocks>",
      `write the state of this many blocks in one transaction; a restart after a crash executes up to this many blocks again (default: ${defaultExecutionOptions.stateWriteInterval}; 1 = with every block)`,
      intArg("--execution.state-write-interval", 1, 10_000),
    )
    .option(
      "--execution.state-write-phase <blocks>",
      "write the state after the blocks whose number plus this is a multiple of the interval; give nodes that share a machine different phases (default: 0; `zg devnet` spreads its nodes)",
      intArg("--execution.state-write-phase", 0, 10_000),
    )
    .action(async (flags: Record<string, unknown>) => {
      await startNode(flags);
    });
}

async function startNode(flags: Record<string, unknown>): Promise<void> {
  const { config, datadir, genesis: genesisFlag, metrics: metricsFlag, ...dotted } = flags;
  const file = typeof config === "string" ? (readJsonFile(config, "config file") as NodeFileConfig) : {};
  const base = typeof config === "string" ? dirname(resolve(config)) : process.cwd();
  const fromFlags = dottedToNested(dotted) as NodeFileConfig;
  if (typeof datadir === "string") fromFlags.dataDir = datadir;
  const merged = mergeOptions<NodeFileConfig & ChainNodeOptions>(defaultChainNodeOptions, file, fromFlags);
  merged.dataDir = resolve(base, merged.dataDir);
  for (const key of ["persistentPeers", "seeds"] as const) {
    const v = merged.p2p[key] as unknown;
    if (typeof v === "string")
      merged.p2p[key] = v
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
  }
  if (merged.p2p.nodeKeyFile) merged.p2p.nodeKeyFile = resolve(base, merged.p2p.nodeKeyFile);
  if (merged.consensus.validatorKeyFile) merged.consensus.validatorKeyFile = resolve(base, merged.consensus.validatorKeyFile);
  if (!["process", "fsync", "unsafe"].includes(merged.db.durability)) {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "db.durability" },
      `db.durability must be process, fsync or unsafe, got "${merged.db.durability}"`,
    );
  }
  const coinbase = merged.producer.coinbase;
  if (!isAddress(coinbase))
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "producer.coinbase" },
      `producer.coinbase must be an address, got "${coinbase}"`,
    );
  const genesisPath =
    typeof genesisFlag === "string"
      ? resolve(genesisFlag)
      : merged.genesis
        ? resolve(base, merged.genesis)
        : join(merged.dataDir, "genesis.json");
  if (!existsSync(genesisPath)) {
    throw new CliError(
      { code: CliErrorCode.BAD_CONFIG, detail: genesisPath },
      `no genesis at ${genesisPath}; create one with \`zg genesis init --out ${genesisPath}\` or pass --genesis`,
    );
  }
  const genesis = parseGenesis(readJsonFile(genesisPath, "genesis"));
  const logger = createLogger({
    level: merged.log?.level ?? "info",
    ...(merged.log?.file ? { file: merged.log.file } : {}),
    base: { node: "chain" },
  });
  const metrics = metricsFlag === false || merged.metrics === false ? null : new Metrics();
  let node: ChainNode | null = null;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await node?.stop();
    } finally {
      logger.flush();
      process.exit(code);
    }
  };
  node = new ChainNode(merged, {
    genesis,
    logger,
    metrics,
    onFatal: (e) => {
      logger.fatal({ err: e }, "fatal error; shutting down");
      void shutdown(1);
    },
  });
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));
  try {
    await node.start();
  } catch (e) {
    // start() has released the port, workers, database and lock; report and exit non-zero.
    stopping = true;
    logger.flush();
    throw e;
  }
}
