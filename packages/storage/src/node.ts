import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  type Address,
  type Durability,
  isAddress,
  JsonRpcServer,
  type JsonRpcServerOptions,
  LMDBStore,
  type Logger,
  type Metrics,
  tryAcquirePidLock,
} from "@zerog/core";
import { StorageError, StorageErrorCode } from "./errors.js";
import { FlowDataStore } from "./flow/flowDataStore.js";
import { defaultLogStoreOptions, LogStore, type LogStoreOptions } from "./flow/logStore.js";
import { MetaStore } from "./flow/metaStore.js";
import { isValidShardConfig, type ShardConfig } from "./flow/shard.js";
import { createStorageMetrics } from "./metrics.js";
import { registerAdminMethods } from "./rpc/adminApi.js";
import { storageErrorMapper } from "./rpc/errors.js";
import { registerSegmentsRoute } from "./rpc/segmentsRoute.js";
import { registerZgsMethods } from "./rpc/zgsApi.js";
import { type ChainReader, RpcChainReader } from "./sync/chainReader.js";
import { defaultFileSyncOptions, FileSync, type FileSyncOptions } from "./sync/fileSync.js";
import { defaultLogSyncOptions, LogSync, type LogSyncOptions, sleep } from "./sync/logSync.js";

export interface StorageNodeOptions {
  dataDir: string;
  /** The chain's JSON-RPC URL (the node reads Submit logs there). */
  /** `startupWaitMs`: how long `start()` waits for the chain to answer before it gives up. */
  chain: { rpc: string; timeoutMs: number; startupWaitMs: number };
  /** The Flow contract; null: `zg_systemContracts().Flow` from the chain. */
  flowAddress: Address | null;
  /** `zgs_` (and, with `admin`, `admin_`) JSON-RPC; 0G's default port is 5678. */
  rpc: Partial<JsonRpcServerOptions> & { admin: boolean };
  /** Applies on first start only; afterwards the stored config wins (0G `shard_position`). */
  shard: ShardConfig;
  logSync: LogSyncOptions;
  sync: FileSyncOptions;
  chunkPool: Omit<LogStoreOptions, "shard">;
  db: { durability: Durability };
}

export const defaultStorageNodeOptions: StorageNodeOptions = {
  dataDir: ".zerog/storage",
  chain: { rpc: "http://127.0.0.1:8545", timeoutMs: 30_000, startupWaitMs: 30_000 },
  flowAddress: null,
  rpc: { host: "127.0.0.1", port: 5678, maxBodyBytes: 100 * 1024 * 1024, admin: true },
  shard: { shardId: 0, numShard: 1 },
  logSync: defaultLogSyncOptions,
  sync: defaultFileSyncOptions,
  chunkPool: {
    maxCacheFileSize: defaultLogStoreOptions.maxCacheFileSize,
    cacheExpirySecs: defaultLogStoreOptions.cacheExpirySecs,
    maxCachedBytes: defaultLogStoreOptions.maxCachedBytes,
    maxWritings: defaultLogStoreOptions.maxWritings,
  },
  db: { durability: "process" },
};

export interface StorageNodeDeps {
  logger: Logger;
  metrics: Metrics | null;
  /** Aborting it stops the node. */
  signal?: AbortSignal;
  /** Replaces the JSON-RPC chain reader (tests). */
  chain?: ChainReader;
}

/**
 * A 0G-compatible storage node: follows the Flow contract's Submit logs, stores its shard of the flow,
 * accepts verified segment uploads, syncs missing segments from peers, serves `zgs_` JSON-RPC.
 */
export class StorageNode {
  readonly options: StorageNodeOptions;
  readonly store: LogStore;
  readonly rpc: JsonRpcServer;
  readonly fileSync: FileSync;
  private readonly log: Logger;
  private readonly deps: StorageNodeDeps;
  private readonly db: LMDBStore;
  private readonly meta: MetaStore;
  private readonly data: FlowDataStore;
  private readonly chain: ChainReader;
  private readonly metrics;
  private readonly lockFile: string;
  private logSync: LogSync | null = null;
  private chainId = 0;
  private flow: Address | null;
  private started = false;
  private stopping: Promise<void> | null = null;

  constructor(options: StorageNodeOptions, deps: StorageNodeDeps) {
    this.options = options;
    this.deps = deps;
    this.log = deps.logger;
    if (!isValidShardConfig(options.shard))
      throw new StorageError(
        { code: StorageErrorCode.BAD_CONFIG, detail: "shard" },
        `invalid shard ${options.shard.shardId}/${options.shard.numShard}: numShard must be a power of two and shardId < numShard`,
      );
    if (options.flowAddress !== null && !isAddress(options.flowAddress))
      throw new StorageError(
        { code: StorageErrorCode.BAD_CONFIG, detail: "flowAddress" },
        `flow address ${options.flowAddress} is not an address`,
      );
    mkdirSync(options.dataDir, { recursive: true });
    this.lockFile = join(options.dataDir, "LOCK");
    acquireLock(this.lockFile, options.dataDir);
    try {
      this.db = new LMDBStore({ path: join(options.dataDir, "meta"), durability: options.db.durability });
      this.meta = new MetaStore(this.db);
      this.data = new FlowDataStore(join(options.dataDir, "flow"));
      const shard = this.meta.getMeta<ShardConfig>("shardConfig") ?? options.shard;
      if (shard.shardId !== options.shard.shardId || shard.numShard !== options.shard.numShard)
        this.log.warn({ stored: shard, configured: options.shard }, "data directory has another shard config; keeping the stored one");
      this.metrics = deps.metrics ? createStorageMetrics(deps.metrics) : null;
      this.store = new LogStore(
        { ...options.chunkPool, shard },
        { meta: this.meta, data: this.data, logger: this.log.child({ module: "log-store" }), metrics: this.metrics },
      );
    } catch (e) {
      rmSync(this.lockFile, { force: true });
      throw e;
    }
    this.flow = options.flowAddress;
    this.chain = deps.chain ?? new RpcChainReader({ url: options.chain.rpc, timeoutMs: options.chain.timeoutMs });
    this.fileSync = new FileSync(options.sync, { store: this.store, logger: this.log.child({ module: "file-sync" }) });
    this.rpc = new JsonRpcServer(options.rpc, { logger: this.log, metrics: deps.metrics, errorMapper: storageErrorMapper });
    registerZgsMethods(this.rpc, {
      store: this.store,
      logSync: () => this.logSync,
      chainId: () => this.chainId,
      flowAddress: () => this.flow ?? "0x0000000000000000000000000000000000000000",
      connectedPeers: () => this.fileSync.connectedPeers,
    });
    registerSegmentsRoute(this.rpc, this.store);
    if (options.rpc.admin)
      registerAdminMethods(this.rpc, {
        store: this.store,
        logSync: () => this.logSync,
        fileSync: this.fileSync,
        selfUrl: () => this.rpc.url,
        shutdown: () => void this.stop(),
      });
    if (deps.metrics) {
      const m = deps.metrics;
      this.rpc.addRoute("GET", "/metrics", async () => m.render());
    }
  }

  get flowAddress(): Address | null {
    return this.flow;
  }

  /** Reads chain id and Flow address from the chain, then starts RPC, log sync and peer sync. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      this.chainId = await this.waitForChain();
      if (this.flow === null) {
        const contracts = await this.chain.systemContracts();
        const flow = contracts.Flow;
        if (!flow || !isAddress(flow))
          throw new StorageError(
            { code: StorageErrorCode.BAD_CONFIG, detail: "flowAddress" },
            "the chain lists no Flow system contract (zg_systemContracts); pass the Flow address explicitly",
          );
        this.flow = flow;
      }
      const stored = this.meta.getMeta<{ flowAddress: string; chainId: number }>("network");
      if (stored && (stored.flowAddress.toLowerCase() !== this.flow.toLowerCase() || stored.chainId !== this.chainId))
        throw new StorageError(
          { code: StorageErrorCode.BAD_CONFIG, detail: "network" },
          `data directory belongs to chain ${stored.chainId} / Flow ${stored.flowAddress}, not chain ${this.chainId} / Flow ${this.flow}`,
        );
      await this.db.batch([
        this.meta.putMeta("network", { flowAddress: this.flow, chainId: this.chainId }),
        this.meta.putMeta("shardConfig", this.store.shard),
      ]);
      this.logSync = new LogSync(this.options.logSync, {
        chain: this.chain,
        store: this.store,
        meta: this.meta,
        flowAddress: this.flow,
        logger: this.log.child({ module: "log-sync" }),
        metrics: this.metrics,
      });
      await this.rpc.start();
      this.logSync.start();
      this.fileSync.start();
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.deps.signal?.addEventListener("abort", () => void this.stop(), { once: true });
    this.log.info(
      { url: this.rpc.url, chainId: this.chainId, flow: this.flow, shard: this.store.shard, nextTxSeq: this.store.nextTxSeq },
      "storage node started",
    );
  }

  /** The chain's id, retried while the chain is not up yet (a devnet starts both at once). */
  private async waitForChain(): Promise<number> {
    const deadline = Date.now() + this.options.chain.startupWaitMs;
    for (let warned = false; ; ) {
      try {
        return await this.chain.chainId();
      } catch (e) {
        if (Date.now() >= deadline || this.deps.signal?.aborted) throw e;
        if (!warned) this.log.warn({ rpc: this.options.chain.rpc, err: (e as Error).message }, "waiting for the chain");
        warned = true;
        await sleep(500, this.deps.signal);
      }
    }
  }

  /** Stops in reverse order: peer sync, log sync, RPC, then flushes data and closes the database. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.fileSync.stop();
      await this.logSync?.stop();
      await this.rpc.stop();
      this.data.sync();
      this.data.close();
      await this.db.close();
      rmSync(this.lockFile, { force: true });
      this.log.info("storage node stopped");
    })();
    return this.stopping;
  }
}

/** One node per data directory: a LOCK file with the pid, taken over when that process is gone. */
function acquireLock(path: string, dataDir: string): void {
  const pid = tryAcquirePidLock(path);
  if (pid !== null)
    throw new StorageError(
      { code: StorageErrorCode.DATADIR_LOCKED, dataDir, pid },
      `data directory ${dataDir} is in use by process ${pid}; stop it or use another --data-dir`,
    );
}
