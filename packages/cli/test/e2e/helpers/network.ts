import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDevGenesis } from "../../../src/commands/genesis.js";
import { devnetValidatorKeys, type PlannedNode, planDevnet } from "../../../src/devnet/layout.js";
import { TEST_MNEMONIC } from "./accounts.js";
import { freePorts, makeTempDir, spawnZg, type TrackedProcess } from "./processes.js";
import { rpc, until } from "./rpc.js";

/** One node of a test network: a real `zg node start --config` process with admin RPC on. */
export class NetNode {
  readonly plan: PlannedNode;
  private proc: TrackedProcess | null = null;

  constructor(plan: PlannedNode) {
    this.plan = plan;
  }

  get name(): string {
    return this.plan.name;
  }

  get url(): string {
    return this.plan.rpc;
  }

  get alive(): boolean {
    return this.proc?.alive ?? false;
  }

  get pid(): number {
    if (!this.proc) throw new Error(`${this.name} is not running`);
    return this.proc.pid;
  }

  /** The node id in `id@host:port`. */
  get id(): string {
    return this.plan.p2p.split("@")[0]!;
  }

  call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return rpc<T>(this.url, method, params);
  }

  async start(): Promise<void> {
    const proc = spawnZg(this.name, ["node", "start", "--config", this.plan.configPath, "--rpc.admin", "--log.level", "debug"], {
      logFile: join(this.plan.dir, "test.log"),
    });
    this.proc = proc;
    const ready = await proc.waitForOutput(/"msg":"chain node started"|^error: .*$/m, 60_000);
    if (ready[0].startsWith("error: ")) throw new Error(`${this.name} failed to start: ${ready[0]}`);
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.proc?.kill(signal);
  }

  async height(): Promise<number> {
    return Number(await this.call<string>("eth_blockNumber"));
  }

  async blockHash(n: number): Promise<string | null> {
    const b = await this.call<{ hash: string } | null>("eth_getBlockByNumber", [`0x${n.toString(16)}`, false]);
    return b?.hash ?? null;
  }
}

export interface TestNetwork {
  dir: string;
  genesisPath: string;
  validators: NetNode[];
  /** The RPC full node (listed first in the devnet layout), when requested. */
  rpcNode: NetNode | null;
  nodes: NetNode[];
}

/**
 * A BFT network of `validators` processes (plus an RPC full node when `fullNode`), laid out exactly as
 * `zg devnet --validators N` does, on free ports.
 */
export async function startNetwork(opts: {
  validators: number;
  fullNode?: boolean;
  blockTime?: number;
  startFullNode?: boolean;
  /** Start only the first N validators (the test plays the others). */
  startOnly?: number;
}): Promise<TestNetwork> {
  const dir = makeTempDir("zg-net-");
  const rpcPort = await freePorts(opts.validators + 1);
  const p2pPort = await freePorts(opts.validators + 1);
  const keys = devnetValidatorKeys(dir, opts.validators);
  const genesisPath = join(dir, "genesis.json");
  writeFileSync(
    genesisPath,
    JSON.stringify(await buildDevGenesis({ chainId: 31337, mnemonic: TEST_MNEMONIC, accounts: 10, balance: 10_000n, validators: keys })),
  );
  // planDevnet adds the rpc node only for more than one validator; a single validator network has none.
  const plans = planDevnet(dir, {
    validators: opts.validators,
    host: "127.0.0.1",
    rpcPort,
    p2pPort,
    blockTime: opts.blockTime ?? 250,
    logLevel: "debug",
  });
  const nodes = plans.map((p) => new NetNode(p));
  const rpcNode = nodes.find((n) => n.plan.role === "rpc") ?? null;
  const validators = nodes.filter((n) => n.plan.role === "validator");
  const started = validators.slice(0, opts.startOnly ?? validators.length);
  const toStart = opts.fullNode && opts.startFullNode !== false && rpcNode ? [rpcNode, ...started] : started;
  await Promise.all(toStart.map((n) => n.start()));
  return { dir, genesisPath, validators, rpcNode: opts.fullNode ? rpcNode : null, nodes };
}

/** Waits until every given node reports at least `height`. */
export async function waitHeight(nodes: NetNode[], height: number, timeoutMs = 30_000): Promise<void> {
  await until(
    `height ${height} on ${nodes.map((n) => n.name).join(", ")}`,
    async () => ((await Promise.all(nodes.map((n) => n.height().catch(() => -1)))).every((h) => h >= height) ? true : undefined),
    timeoutMs,
    100,
  );
}

/** Every height up to `upTo` has one hash across all nodes that have it: no fork anywhere. */
export async function assertNoFork(nodes: NetNode[], upTo: number): Promise<void> {
  for (let n = 1; n <= upTo; n++) {
    const hashes = new Set((await Promise.all(nodes.map((x) => x.blockHash(n).catch(() => null)))).filter((h): h is string => h !== null));
    if (hashes.size > 1) throw new Error(`fork at height ${n}: ${[...hashes].join(" vs ")}`);
  }
}
