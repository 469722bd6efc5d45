import { bytesToHex, type Logger } from "@zerog/core";
import type { ExecutionEngine, TxCandidates } from "../execution/engine.js";
import type { SignedTx } from "../tx/transaction.js";

export interface BlockProducerOptions {
  /** Least time between blocks while transactions wait (ms). */
  blockTime: number;
  /** Most time between blocks when nothing waits (ms): empty blocks keep time moving. */
  emptyBlockInterval: number;
  /** Stop filling a block after this long (ms), so block times hold under load. */
  maxBuildMs: number;
}

export const defaultBlockProducerOptions: BlockProducerOptions = { blockTime: 250, emptyBlockInterval: 2_000, maxBuildMs: 200 };

export interface BlockProducerDeps {
  engine: ExecutionEngine;
  /** The source of transactions (the mempool). */
  txSource: {
    readonly pendingCount: number;
    candidates(baseFee: bigint): TxCandidates;
    remove(hash: Uint8Array): void;
    onAdded(listener: (tx: SignedTx) => void): () => void;
  };
  head(): { number: bigint; timestamp: bigint };
  nextBaseFee(): bigint;
  coinbase: Uint8Array;
  now?: () => number;
  logger: Logger;
  /** Called when producing a block failed; the node should stop (state may be inconsistent). */
  onFatal(error: unknown): void;
}

/**
 * The single-validator stand-in for consensus: proposes, accepts, finalizes and commits a block
 * every `blockTime` while transactions wait, and an empty one every `emptyBlockInterval`. It uses
 * only the engine boundary, which is where the BFT engine attaches instead.
 */
export class BlockProducer {
  private readonly opts: BlockProducerOptions;
  private readonly deps: BlockProducerDeps;
  private readonly now: () => number;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  /** When the last block's production started: blocks are `blockTime` apart start to start. */
  private lastBlockAt: number;
  /** The previous block's write to disk, overlapped with building the next block. */
  private inflight: Promise<unknown> = Promise.resolve();

  constructor(opts: Partial<BlockProducerOptions>, deps: BlockProducerDeps) {
    this.opts = { ...defaultBlockProducerOptions, ...opts };
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.lastBlockAt = this.now();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.deps.txSource.onAdded(() => this.wake?.());
    this.loop = this.run().catch((e: unknown) => this.deps.onFatal(e));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    await this.inflight;
  }

  /** Produces one block now (tests and tools); returns its height. */
  async produceBlock(): Promise<bigint> {
    const { engine, txSource } = this.deps;
    this.lastBlockAt = this.now();
    const head = this.deps.head();
    const height = head.number + 1n;
    const seconds = BigInt(Math.floor(this.now() / 1000));
    const t0 = this.now();
    const { block, rejected } = await engine.prepareProposal({
      height,
      timestamp: seconds > head.timestamp ? seconds : head.timestamp,
      proposer: this.deps.coinbase,
      candidates: txSource.candidates(this.deps.nextBaseFee()),
      maxBuildMs: this.opts.maxBuildMs,
    });
    for (const { tx, error } of rejected) {
      this.deps.logger.debug({ tx: bytesToHex(tx.hash), reason: error.message }, "dropping transaction invalid at its turn");
      txSource.remove(tx.hash);
    }
    const verdict = await engine.processProposal(block);
    if (!verdict.accept) {
      this.deps.logger.error({ height: Number(height), reason: verdict.reason }, "own proposal rejected");
      return head.number;
    }
    const t1 = this.now();
    await engine.finalizeBlock(block);
    // One block on its way to disk at a time: wait for the previous one, start this one, go on.
    await this.inflight;
    const durable = engine.commit();
    this.inflight = durable.catch((e: unknown) => this.deps.onFatal(e));
    const t2 = this.now();
    this.deps.logger.debug(
      { height: Number(height), txs: block.txs.length, gasUsed: Number(block.header.gasUsed), buildMs: t1 - t0, commitMs: t2 - t1 },
      "block committed",
    );
    return height;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const since = this.now() - this.lastBlockAt;
      const due = this.deps.txSource.pendingCount > 0 ? this.opts.blockTime - since : this.opts.emptyBlockInterval - since;
      if (due > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, due);
        });
        if (this.timer) clearTimeout(this.timer);
        this.wake = null;
        continue;
      }
      try {
        await this.produceBlock();
      } catch (e) {
        this.deps.logger.fatal({ err: e }, "block production failed; stopping the producer");
        this.running = false;
        throw e;
      }
    }
  }
}
