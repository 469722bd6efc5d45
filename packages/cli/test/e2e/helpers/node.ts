import { join } from "node:path";
import { CHAIN_ID } from "./accounts.js";
import { type ExitInfo, freePort, makeTempDir, runZg, spawnZg, type TrackedProcess } from "./processes.js";
import { rpc } from "./rpc.js";

export { useE2ECleanup } from "./processes.js";

export interface StartNodeOptions {
  /** `--producer.block-time` (ms); the product default is 250. */
  blockTime?: number;
  /** `--producer.empty-block-interval` (ms); the product default is 2000. */
  emptyBlockInterval?: number;
  chainId?: number;
  /** Funded mnemonic accounts in the genesis. */
  accounts?: number;
  logLevel?: "trace" | "debug" | "info";
  extraArgs?: string[];
  /** Name in logs and failure reports. */
  name?: string;
}

/**
 * A real `zg node start` process on 127.0.0.1 with its own temp datadir and genesis. Its output goes
 * to `logFile`; the process is stopped by `useE2ECleanup()` at the end of the file at the latest.
 */
export class TestNode {
  readonly dataDir: string;
  readonly genesisPath: string;
  readonly logFile: string;
  readonly name: string;
  private readonly args: string[];
  private portNumber: number;
  private proc: TrackedProcess | null = null;

  constructor(p: { dir: string; genesisPath: string; port: number; args: string[]; name: string }) {
    this.dataDir = join(p.dir, "data");
    this.genesisPath = p.genesisPath;
    this.logFile = join(p.dir, "node.log");
    this.portNumber = p.port;
    this.args = p.args;
    this.name = p.name;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.portNumber}`;
  }

  get pid(): number {
    if (!this.proc) throw new Error(`${this.name} is not running`);
    return this.proc.pid;
  }

  get process(): TrackedProcess {
    if (!this.proc) throw new Error(`${this.name} is not running`);
    return this.proc;
  }

  get alive(): boolean {
    return this.proc?.alive ?? false;
  }

  /** A JSON-RPC call over HTTP; throws `RpcCallError` on an error answer. */
  call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return rpc<T>(this.url, method, params);
  }

  /** Starts the process and resolves once it answers JSON-RPC; rejects (with its log) if it exits first. */
  async start(): Promise<void> {
    if (this.proc?.alive) throw new Error(`${this.name} is already running`);
    const args = [
      "node",
      "start",
      "--datadir",
      this.dataDir,
      "--genesis",
      this.genesisPath,
      "--rpc.port",
      String(this.portNumber),
      ...this.args,
    ];
    const proc = spawnZg(this.name, args, { logFile: this.logFile });
    this.proc = proc;
    // The node logs "chain node started" once its RPC server listens; the CLI prints "error: …" when it
    // cannot start (and, for a busy port, then lingers instead of exiting: see the bugs in the tests).
    const ready = await proc.waitForOutput(/"msg":"chain node started"|^error: .*$/m, 60_000).catch(async (e: unknown) => {
      if (proc.alive) await proc.kill("SIGKILL");
      throw e;
    });
    if (ready[0].startsWith("error: ")) {
      await proc.kill("SIGKILL");
      throw new Error(`${this.name} failed to start: ${ready[0]}`);
    }
    const chainId = await this.call<string>("eth_chainId");
    if (!/^0x[0-9a-f]+$/.test(chainId)) throw new Error(`${this.name} answered eth_chainId with ${chainId}`);
  }

  /** Sends `signal` (SIGKILL by default) and resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<ExitInfo> {
    if (!this.proc) throw new Error(`${this.name} was never started`);
    return this.proc.kill(signal);
  }

  /** Graceful stop: SIGTERM, SIGKILL after 15 s. */
  async stop(): Promise<ExitInfo | null> {
    return this.proc ? this.proc.stop() : null;
  }

  /** Starts the node again on the same datadir, genesis and port (stopping it first if it runs). */
  async restart(): Promise<void> {
    if (this.proc?.alive) await this.stop();
    await this.start();
  }
}

/** Writes a genesis with `zg genesis init`, starts `zg node start` on a free port and waits until it serves. */
export async function startNode(opts: StartNodeOptions = {}): Promise<TestNode> {
  const dir = makeTempDir("zg-node-");
  const genesisPath = join(dir, "genesis.json");
  const init = await runZg([
    "genesis",
    "init",
    "--out",
    genesisPath,
    "--chain-id",
    String(opts.chainId ?? CHAIN_ID),
    "--accounts",
    String(opts.accounts ?? 10),
  ]);
  if (init.code !== 0) throw new Error(`zg genesis init failed (${init.code}): ${init.stderr}`);
  const args = ["--log.level", opts.logLevel ?? "info"];
  if (opts.blockTime !== undefined) args.push("--producer.block-time", String(opts.blockTime));
  if (opts.emptyBlockInterval !== undefined) args.push("--producer.empty-block-interval", String(opts.emptyBlockInterval));
  args.push(...(opts.extraArgs ?? []));
  // Another process can take the port between freePort() and listen(): retry on a fresh one.
  for (let attempt = 1; ; attempt++) {
    const node = new TestNode({ dir, genesisPath, port: await freePort(), args, name: opts.name ?? "zg node" });
    try {
      await node.start();
      return node;
    } catch (e) {
      if (attempt < 3 && /EADDRINUSE/.test(String(e))) continue;
      throw e;
    }
  }
}
