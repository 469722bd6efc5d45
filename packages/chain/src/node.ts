import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Address,
  bytesToHex,
  concatBytes,
  type Durability,
  hexToBytes,
  JsonRpcServer,
  type JsonRpcServerOptions,
  keccak256,
  LMDBStore,
  type Logger,
  type Metrics,
  tryAcquirePidLock,
  ZgError,
} from "@zerog/core";
import { readValidatorKeyFile } from "./consensus/blsKeys.js";
import { ConsensusDriver, type ConsensusDriverOptions } from "./consensus/driver.js";
import { EvidencePool } from "./consensus/evidencePool.js";
import { PrivValidator } from "./consensus/privval.js";
import { decodeEvidence, verifyEvidence } from "./consensus/signing.js";
import { ValidatorSets } from "./consensus/validatorSets.js";
import { ConsensusWAL } from "./consensus/wal.js";
import { Execution, type ExecutionOptions } from "./execution/execution.js";
import type { Genesis } from "./execution/genesis.js";
import { Mempool, type MempoolOptions } from "./mempool/mempool.js";
import { generateNodeKey } from "./p2p/nodeKey.js";
import { PeerManager } from "./p2p/peerManager.js";
import type { PeerManagerOptions } from "./p2p/peerManagerOptions.js";
import { BlockProducer, type BlockProducerOptions } from "./producer/blockProducer.js";
import { registerAdminMethods } from "./rpc/adminApi.js";
import { registerChainRPC } from "./rpc/chainRpc.js";
import type { ChainRPCOptions } from "./rpc/context.js";
import { chainErrorMapper } from "./rpc/errors.js";
import { SenderRecovery, type SenderRecoveryOptions } from "./tx/senderRecovery.js";
import { parseTx } from "./tx/transaction.js";

export interface ChainNodeOptions {
  dataDir: string;
  /** `admin: true` adds the `admin_*` methods (peers, partitions) for operators and tests. */
  rpc: Partial<JsonRpcServerOptions> & { admin?: boolean };
  chainRpc: Partial<ChainRPCOptions>;
  /** The single local block producer, used when the genesis names no validators. */
  producer: Partial<BlockProducerOptions> & { enabled: boolean; coinbase: Address };
  /** BFT consensus, used when the genesis names validators. */
  consensus: Partial<ConsensusDriverOptions> & {
    /** This node's BLS validator key (JSON); absent or not in the set: a full node that follows consensus. */
    validatorKeyFile: string | null;
  };
  p2p: Partial<PeerManagerOptions> & {
    /** The node's p2p identity (X25519 secret, JSON); created on first start. Default `<datadir>/node_key.json`. */
    nodeKeyFile: string | null;
  };
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
  consensus: { validatorKeyFile: null },
  p2p: { nodeKeyFile: null },
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
  BAD_NODE_KEY = "NODE_BAD_NODE_KEY",
}

export class NodeError extends ZgError<
  { code: NodeErrorCode.DATADIR_LOCKED; dataDir: string; pid: number } | { code: NodeErrorCode.BAD_NODE_KEY; path: string }
> {}

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
  /** The state environment (the same as `db` in data directories from before the split). */
  private readonly stateDb: LMDBStore;
  private readonly producer: BlockProducer | null;
  private readonly p2p: PeerManager | null = null;
  readonly consensus: ConsensusDriver | null = null;
  private readonly wal: ConsensusWAL | null = null;
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
    const chainPath = join(opts.dataDir, "chain");
    const statePath = join(opts.dataDir, "state");
    // Blocks and state live in two LMDB environments, so the large grouped state write never holds
    // up the next block's write (each environment has its own writer thread).
    const split = !existsSync(chainPath) || existsSync(statePath);
    this.db = new LMDBStore({ path: chainPath, durability: opts.db.durability });
    this.stateDb = split ? new LMDBStore({ path: statePath, durability: opts.db.durability }) : this.db;
    if (!split)
      this.log.info({ dataDir: opts.dataDir }, "data directory keeps blocks and state in one database (created by an older version)");
    this.execution = new Execution(opts.execution, {
      db: this.db,
      stateDb: this.stateDb,
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
    if (deps.genesis.validators.length > 0) {
      const built = this.buildConsensus(opts, deps);
      this.p2p = built.p2p;
      this.consensus = built.driver;
      this.wal = built.wal;
    }
    this.producer =
      opts.producer.enabled && this.consensus === null
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

  private buildConsensus(
    opts: ChainNodeOptions,
    deps: ChainNodeDeps,
  ): { p2p: PeerManager; driver: ConsensusDriver; wal: ConsensusWAL | null } {
    const g = deps.genesis;
    const log = deps.logger;
    const validators = new ValidatorSets(g.validators.map((v) => ({ address: v.address, publicKey: v.publicKey, power: v.power })));
    const nodeKey = loadOrCreateNodeKey(opts.p2p.nodeKeyFile ?? join(opts.dataDir, "node_key.json"));
    const setHash = bytesToHex(keccak256(concatBytes(...g.validators.map((v) => v.publicKey)))).slice(2, 18);
    const p2p = new PeerManager(
      { ...opts.p2p, networkId: `zerog-${g.chainId}-${setHash}` },
      { logger: log.child({ module: "p2p" }), metrics: deps.metrics, nodeKey },
    );
    let privval: PrivValidator | null = null;
    let wal: ConsensusWAL | null = null;
    if (opts.consensus.validatorKeyFile && existsSync(opts.consensus.validatorKeyFile)) {
      const key = readValidatorKeyFile(opts.consensus.validatorKeyFile);
      if (validators.forHeight(1n).indexOf(key.address) >= 0) {
        privval = new PrivValidator(
          { statePath: join(opts.dataDir, "privval_state.json") },
          { key, logger: log.child({ module: "privval" }) },
        );
        wal = ConsensusWAL.open(join(opts.dataDir, "consensus.wal"), { logger: log.child({ module: "wal" }) });
      } else log.warn({ address: bytesToHex(key.address) }, "validator key is not in the genesis set: running as a full node");
    }
    let driver: ConsensusDriver | null = null;
    const evidence = new EvidencePool(
      {},
      {
        check: (bytes) => {
          try {
            const ev = decodeEvidence(bytes);
            verifyEvidence(g.chainId, ev, validators.forHeight(ev.voteA.height).validators);
            return {
              kind: "duplicate-vote",
              validator: ev.validator,
              height: ev.voteA.height,
              power: ev.validatorPower,
              totalPower: ev.totalPower,
              evidence: bytes,
            };
          } catch (e) {
            log.debug({ err: (e as Error).message }, "evidence refused");
            return (e as Error).message;
          }
        },
        committedAt: (bytes) => this.execution.store.evidenceHeight(bytes),
        height: () => driver?.status().height ?? 0n,
      },
    );
    driver = new ConsensusDriver(opts.consensus, {
      chainId: g.chainId,
      execution: this.execution,
      mempool: this.mempool,
      recovery: this.recovery,
      p2p,
      validators,
      evidence,
      privval,
      wal,
      coinbase: privval ? privval.address : new Uint8Array(20),
      logger: log.child({ module: "consensus" }),
      metrics: deps.metrics,
      onFatal: deps.onFatal,
    });
    return { p2p, driver, wal };
  }

  /** Decodes, checks and pools a raw transaction, then gossips it; returns its hash. */
  async submitRawTx(raw: Uint8Array): Promise<Uint8Array> {
    const tx = await this.recovery.recover(parseTx(raw));
    this.mempool.add(tx, { baseFee: this.execution.nextBaseFee(), blockGasLimit: this.execution.tip.header.gasLimit });
    this.consensus?.gossipTx(raw, tx.hash);
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
      peerCount: () => this.p2p?.peers().length ?? 0,
      syncing: () => {
        if (!this.consensus?.sync.syncing) return false;
        const n = this.execution.head.header.number;
        return { startingBlock: n, currentBlock: n, highestBlock: n + 1n };
      },
    });
    if (this.opts.rpc.admin) {
      registerAdminMethods(this.rpc, {
        nodeInfo: () => ({
          p2p: this.p2p?.address ?? null,
          consensus: this.consensus ? jsonSafe(this.consensus.status()) : null,
          head: Number(this.execution.head.header.number),
        }),
        peers: () => this.p2p?.peers() ?? [],
        setPeerBlocked: (id, blocked) => {
          if (!this.p2p?.peers().some((x) => x.id === id)) return false;
          this.p2p.setBlocked(id, blocked);
          return true;
        },
      });
    }
    await this.p2p?.start();
    await this.consensus?.start();
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
    await this.consensus?.stop();
    await this.p2p?.stop();
    await this.execution.flush();
    this.wal?.close();
    await this.rpc.stop();
    this.disposeRPC?.();
    await this.recovery.close();
    await this.db.close();
    if (this.stateDb !== this.db) await this.stateDb.close();
    rmSync(this.lockFile, { force: true });
    this.log.info({ height: Number(this.execution.head.header.number), hash: bytesToHex(this.execution.head.hash) }, "chain node stopped");
  }
}

/** Nodes of different chains (chain id or genesis validators) fail the p2p handshake. */
export function consensusNetworkId(g: Pick<Genesis, "chainId" | "validators">): string {
  return `zerog-${g.chainId}-${bytesToHex(keccak256(concatBytes(...g.validators.map((v) => v.publicKey)))).slice(2, 18)}`;
}

function jsonSafe(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]));
}

/** The node's p2p secret: read, or created (mode 0600) on first start. */
function loadOrCreateNodeKey(path: string): Uint8Array {
  if (existsSync(path)) {
    const j = JSON.parse(readFileSync(path, "utf8")) as { nodeKey?: unknown };
    if (typeof j.nodeKey !== "string" || !/^0x[0-9a-f]{64}$/i.test(j.nodeKey)) {
      throw new NodeError({ code: NodeErrorCode.BAD_NODE_KEY, path }, `node key file ${path} has no 32-byte hex "nodeKey"`);
    }
    return hexToBytes(j.nodeKey);
  }
  const key = generateNodeKey();
  writeFileSync(path, `${JSON.stringify({ nodeKey: bytesToHex(key) }, null, 2)}\n`, { mode: 0o600 });
  return key;
}

/** One process per data directory: a second node on the same files would corrupt them. */
function acquireLock(file: string, dataDir: string): void {
  const pid = tryAcquirePidLock(file);
  if (pid !== null) {
    throw new NodeError(
      { code: NodeErrorCode.DATADIR_LOCKED, dataDir, pid },
      `data directory ${dataDir} is in use by process ${pid}; stop it or choose another --datadir`,
    );
  }
}
