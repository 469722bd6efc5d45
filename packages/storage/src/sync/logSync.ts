import type { Address, BatchOp, Hex, Logger } from "@zerog/core";
import type { LogStore } from "../flow/logStore.js";
import type { MetaStore } from "../flow/metaStore.js";
import { type RawLog, SUBMIT_TOPIC0, submitLogToTransaction } from "../flow/transaction.js";
import type { StorageMetrics } from "../metrics.js";
import type { ChainReader } from "./chainReader.js";

export interface LogSyncOptions {
  /** First block to read Submit logs from (the Flow contract is in genesis: 0). */
  startBlock: number;
  /**
   * Blocks a log must be buried under before it is applied. zerog blocks are final once committed
   * (single producer or Tendermint), so 0 is safe and adds no latency; 0G uses 3 on chains that reorg.
   */
  confirmations: number;
  /** Blocks per `eth_getLogs` call (0G `log_page_size`). */
  pageSize: number;
  /** Wait between polls once caught up (0G `watch_loop_wait_time_ms`). */
  pollIntervalMs: number;
}

export const defaultLogSyncOptions: LogSyncOptions = { startBlock: 0, confirmations: 0, pageSize: 999, pollIntervalMs: 500 };

interface Progress {
  nextBlock: number;
}

export interface LogSyncStatus {
  nextBlock: number;
  /** Last block applied, and its hash. */
  syncedBlock: number;
  syncedBlockHash: Hex | null;
  chainHead: number | null;
  nextTxSeq: number;
  reorgs: number;
  lastError: string | null;
  caughtUp: boolean;
}

/**
 * Follows the Flow contract's Submit logs (0G `log_entry_sync`): pages of `eth_getLogs`, the parent-hash
 * chain checked at every page start, and on a mismatch the txs after the fork point reverted.
 */
export class LogSync {
  readonly options: LogSyncOptions;
  private readonly chain: ChainReader;
  private readonly store: LogStore;
  private readonly meta: MetaStore;
  private readonly flowAddress: Address;
  private readonly log: Logger;
  private readonly metrics: StorageMetrics | null;
  private nextBlock: number;
  private head: number | null = null;
  private reorgs = 0;
  private lastError: string | null = null;
  private caughtUp = false;
  private loop: Promise<void> | null = null;
  private abort = new AbortController();

  constructor(
    options: LogSyncOptions,
    deps: { chain: ChainReader; store: LogStore; meta: MetaStore; flowAddress: Address; logger: Logger; metrics: StorageMetrics | null },
  ) {
    this.options = options;
    this.chain = deps.chain;
    this.store = deps.store;
    this.meta = deps.meta;
    this.flowAddress = deps.flowAddress;
    this.log = deps.logger;
    this.metrics = deps.metrics;
    this.nextBlock = this.meta.getMeta<Progress>("logSync")?.nextBlock ?? options.startBlock;
  }

  status(): LogSyncStatus {
    const synced = this.nextBlock - 1;
    return {
      nextBlock: this.nextBlock,
      syncedBlock: synced,
      syncedBlockHash: synced >= 0 ? (this.meta.getBlockHash(synced) ?? null) : null,
      chainHead: this.head,
      nextTxSeq: this.store.nextTxSeq,
      reorgs: this.reorgs,
      lastError: this.lastError,
      caughtUp: this.caughtUp,
    };
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = null;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let progressed = false;
      try {
        progressed = await this.pollOnce();
        this.lastError = null;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (msg !== this.lastError) this.log.warn({ err: msg }, "log sync failed; retrying");
        this.lastError = msg;
      }
      if (!progressed) await sleep(this.options.pollIntervalMs, signal);
    }
  }

  /** One step: applies at most one page of blocks. True if it moved (so the caller polls again at once). */
  async pollOnce(): Promise<boolean> {
    const head = await this.chain.blockNumber();
    this.head = head;
    const target = head - this.options.confirmations;
    if (this.nextBlock > target) {
      this.caughtUp = true;
      return false;
    }
    const from = this.nextBlock;
    const prevHash = from > 0 ? this.meta.getBlockHash(from - 1) : undefined;
    const first = await this.chain.block(from);
    if (!first) return false;
    if (prevHash !== undefined && first.parentHash !== prevHash) {
      await this.handleReorg(from - 1);
      return true;
    }
    const to = Math.min(target, from + this.options.pageSize - 1);
    const last = to === from ? first : await this.chain.block(to);
    if (!last) return false;
    const logs = await this.chain.logs({ fromBlock: from, toBlock: to, address: this.flowAddress, topic0: SUBMIT_TOPIC0 });
    // The page must come from one chain: `to` unchanged across the query, and every log on it.
    const again = await this.chain.block(to);
    if (!again || again.hash !== last.hash) return true;
    await this.apply(sortLogs(logs), from, to, last.hash);
    this.caughtUp = to >= target;
    return true;
  }

  private async apply(logs: RawLog[], from: number, to: number, toHash: Hex): Promise<void> {
    const hashes: BatchOp[] = [];
    for (const raw of logs) {
      if (raw.removed) continue;
      const tx = submitLogToTransaction(raw);
      hashes.push(this.meta.putBlockHash(tx.blockNumber, tx.blockHash));
      if (tx.seq < this.store.nextTxSeq) continue; // applied before a restart
      await this.store.putTx(tx);
    }
    await this.meta.db.batch([
      ...hashes,
      this.meta.putBlockHash(to, toHash),
      this.meta.putMeta("logSync", { nextBlock: to + 1 } satisfies Progress),
    ]);
    this.nextBlock = to + 1;
    this.metrics?.logSyncHeight.set(to);
    if (logs.length > 0) this.log.info({ from, to, logs: logs.length, nextTxSeq: this.store.nextTxSeq }, "Submit logs applied");
  }

  /** Walks back the stored block hashes to the last one still on the chain and reverts everything after it. */
  private async handleReorg(below: number): Promise<void> {
    let fork = this.options.startBlock - 1;
    for (const { number, hash } of this.meta.blockHashesDownFrom(below)) {
      const b = await this.chain.block(number);
      if (b && b.hash === hash) {
        fork = number;
        break;
      }
    }
    const firstBad = this.firstSeqAfterBlock(fork);
    if (firstBad !== undefined) await this.store.revertFrom(firstBad);
    await this.meta.db.batch([
      ...this.meta.deleteBlockHashesAbove(fork),
      this.meta.putMeta("logSync", { nextBlock: fork + 1 } satisfies Progress),
    ]);
    this.reorgs++;
    this.log.warn({ fork, nextBlock: fork + 1, nextTxSeq: this.store.nextTxSeq }, "chain reorg detected: resyncing from the fork point");
    this.nextBlock = fork + 1;
  }

  private firstSeqAfterBlock(block: number): number | undefined {
    for (let seq = 0; seq < this.store.nextTxSeq; seq++) if (this.store.getTx(seq)!.blockNumber > block) return seq;
    return undefined;
  }
}

function sortLogs(logs: RawLog[]): RawLog[] {
  return [...logs].sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || Number(BigInt(a.logIndex) - BigInt(b.logIndex)));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
