import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Address,
  bytesToHex,
  type Durability,
  hexToBytes,
  JsonRpcServer,
  type JsonRpcServerOptions,
  LMDBStore,
  type Logger,
  type Metrics,
  ZgError,
} from "@zerog/core";
import { Execution, type ExecutionOptions } from "./execution/execution.js";
import type { Genesis } from "./execution/genesis.js";
import { Mempool, type MempoolOptions } from "./mempool/mempool.js";
import { BlockProducer, type BlockProducerOptions } from "./producer/blockProducer.js";
import { registerChainRPC } from "./rpc/chainRpc.js";
import type { ChainRPCOptions } from "./rpc/context.js";
import { chainErrorMapper } from "./rpc/errors.js";
import { SenderRecovery, type SenderRecoveryOptions } from "./tx/senderRecovery.js";
import { parseTx } from "./tx/transaction.js";

export interface ChainNodeOptions {
  dataDir: string;
  rpc: Partial<JsonRpcServerOptions>;
  chainRpc: Partial<ChainRPCOptions>;
  /** The single local block producer (until consensus replaces it). */
  producer: Partial<BlockProducerOptions> & { enabled: boolean; coinbase: Address };
  mempool: Partial<MempoolOptions>;
  execution: Partial<ExecutionOptions>;
  recovery: Partial<SenderRecoveryOptions>;
  /** How hard block writes are pushed to disk (see `Durability`). */
  db: { durability: Durability };
}

export const defaultChainNodeOptions: ChainNodeOptions = {
  dataDir: ".zerog/node",
  rpc: { host: "127.0.0.1", port: 8545 },
  chainRpc: {},
  producer: { enabled: true, coinbase: "0x0000000000000000000000000000000000000000" },
  mempool: {},
  execution: {},
  recovery: {},
  db: { durability: "process" },
};

export interface ChainNodeDeps {
  genesis: Genesis;
  logger: Logger;
  metrics: Metrics | null;
  /** Called when the node cannot continue (a block failed to execute or store). */
  onFatal(error: unknown): void;
}

export enum NodeErrorCode {
  DATADIR_LOCKED = "NODE_DATADIR_LOCKED",
}

export class NodeError extends ZgError<{ code: NodeErrorCode.DATADIR_LOCKED; dataDir: string; pid: number }> {}

/**
 * A chain node: database, execution, mempool, JSON-RPC and (for now) the local block producer.
 * Built by the CLI from options; `stop()` undoes `start()` in reverse order.
 */
export class ChainNode {
  readonly opts: ChainNodeOptions;
  readonly execution: Execution;
  readonly mempool: Mempool;
  readonly rpc: JsonRpcServer;
  private readonly db: LMDBStore;
  private readonly producer: BlockProducer | null;
  private readonly recovery: SenderRecovery;
  private readonly log: Logger;
  private readonly lockFile: string;
  private disposeRPC: (() => void) | null = null;
  private stopped = false;

  constructor(opts: ChainNodeOptions, deps: ChainNodeDeps) {
    this.opts = opts;
    this.log = deps.logger;
    mkdirSync(opts.dataDir, { recursive: true });
    this.lockFile = join(opts.dataDir, "LOCK");
    acquireLock(this.lockFile, opts.dataDir);
    this.db = new LMDBStore({ path: join(opts.dataDir, "chain"), durability: opts.db.durability });
    this.execution = new Execution(opts.execution, {
      db: this.db,
      genesis: deps.genesis,
      logger: deps.logger.child({ module: "execution" }),
      metrics: deps.metrics,
    });
    this.mempool = new Mempool(opts.mempool, {
      getAccount: (a) => this.execution.stateDB.getAccount(a),
      chainId: deps.genesis.chainId,
      logger: deps.logger.child({ module: "mempool" }),
      metrics: deps.metrics,
    });
    this.execution.onTip((c) => this.mempool.onBlock(c.block.txs));
    this.recovery = new SenderRecovery(opts.recovery, { logger: deps.logger.child({ module: "recovery" }) });
    this.rpc = new JsonRpcServer(opts.rpc, { logger: deps.logger, metrics: deps.metrics, errorMapper: chainErrorMapper });
    if (deps.metrics) {
      const m = deps.metrics;
      this.rpc.addRoute("GET", "/metrics", async () => {
        const { contentType, body } = await m.render();
        return { contentType, body };
      });
    }
    const pool = this.mempool;
    this.producer = opts.producer.enabled
      ? new BlockProducer(opts.producer, {
          engine: this.execution,
          txSource: {
            get pendingCount() {
              return pool.status().pending;
            },
            candidates: (baseFee) => pool.candidates(baseFee),
            remove: (hash) => void pool.remove(hash),
            onAdded: (l) => pool.onAdded(l),
          },
          head: () => ({ number: this.execution.tip.header.number, timestamp: this.execution.tip.header.timestamp }),
          nextBaseFee: () => this.execution.nextBaseFee(),
          coinbase: hexToBytes(opts.producer.coinbase),
          logger: deps.logger.child({ module: "producer" }),
          onFatal: deps.onFatal,
        })
      : null;
  }

  /** Decodes, checks and pools a raw transaction; returns its hash. */
  async submitRawTx(raw: Uint8Array): Promise<Uint8Array> {
    const tx = await this.recovery.recover(parseTx(raw));
    this.mempool.add(tx, { baseFee: this.execution.nextBaseFee(), blockGasLimit: this.execution.tip.header.gasLimit });
    return tx.hash;
  }

  /** Starts everything; on failure (a busy port, a bad database) undoes what started and rethrows. */
  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (e) {
      await this.stop().catch((stopError: unknown) => this.log.error({ err: stopError }, "cleanup after a failed start failed"));
      throw e;
    }
  }

  private async startParts(): Promise<void> {
    await this.execution.init();
    this.disposeRPC = registerChainRPC(this.rpc, this.opts.chainRpc, {
      execution: this.execution,
      pool: this.mempool,
      submitRawTx: (raw) => this.submitRawTx(raw),
      peerCount: () => 0,
      syncing: () => false,
    });
    await this.rpc.start();
    this.producer?.start();
    this.log.info(
      { rpc: this.rpc.url, height: Number(this.execution.head.header.number), chainId: Number(this.execution.chainId) },
      "chain node started",
    );
  }

  get rpcUrl(): string {
    return this.rpc.url;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.producer?.stop();
    await this.execution.flush();
    await this.rpc.stop();
    this.disposeRPC?.();
    await this.recovery.close();
    await this.db.close();
    rmSync(this.lockFile, { force: true });
    this.log.info({ height: Number(this.execution.head.header.number), hash: bytesToHex(this.execution.head.hash) }, "chain node stopped");
  }
}

/** One process per data directory: a second node on the same files would corrupt them. */
function acquireLock(file: string, dataDir: string): void {
  try {
    const fd = openSync(file, "wx");
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const pid = Number(readFileSync(file, "utf8"));
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
    throw new NodeError(
      { code: NodeErrorCode.DATADIR_LOCKED, dataDir, pid },
      `data directory ${dataDir} is in use by process ${pid}; stop it or choose another --datadir`,
    );
  }
  // A stale lock from a killed process.
  writeFileSync(file, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
