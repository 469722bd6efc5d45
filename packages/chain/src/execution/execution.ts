import type { Common } from "@ethereumjs/common";
import {
  type BatchOp,
  bytesToBigInt,
  bytesToHex,
  equalsBytes,
  type KVStore,
  type Logger,
  MemoryStore,
  type Metrics,
  rlpDecode,
  rlpEncode,
} from "@zerog/core";
import type { BlockHeader } from "../block/header.js";
import { MISBEHAVIOR_MARKER, misbehaviorCommitment } from "../block/misbehavior.js";
import { ChainError, ChainErrorCode, TxError } from "../errors.js";
import { BlockState } from "../state/blockState.js";
import { StateDB, type StateDBOptions } from "../state/stateDB.js";
import { metaKey } from "../state/tables.js";
import { type ChainHead, ChainStore, type StoredBlock } from "../store/chainStore.js";
import type { SignedTx } from "../tx/transaction.js";
import { nextBaseFee } from "./baseFee.js";
import {
  blockFromHeader,
  blockSize,
  type ExecutedBlock,
  executionHeaderFields,
  hashKey,
  headerMismatch,
  makeHeader,
  outcomeToReceipt,
  prevRandaoFor,
} from "./blockBuilder.js";
import type { BlockEnv } from "./blockEnv.js";
import { BlockExecutor } from "./blockExecutor.js";
import { createChainCommon } from "./common.js";
import type {
  Block,
  CommittedBlock,
  Decision,
  ExecutionEngine,
  FinalizeResult,
  ProcessResult,
  ProposalParams,
  ProposalResult,
} from "./engine.js";
import { type Genesis, genesisHeader, genesisState } from "./genesis.js";

export interface ExecutionOptions {
  state: Partial<StateDBOptions>;
  /** extraData of the blocks this node proposes. */
  extraData: Uint8Array;
  /**
   * The state (flat tables, trie nodes, code, transaction index) of this many durable blocks is
   * written in one transaction. Blocks themselves are written one by one; after a crash, the blocks
   * since the last state write are executed again. 1 writes the state after every block.
   */
  stateWriteInterval: number;
  /** The state is also written once this many of its operations are waiting. */
  stateWriteMaxOps: number;
  /**
   * The state is written after the blocks whose number plus this is a multiple of `stateWriteInterval`. Nodes
   * sharing a machine (a devnet) each take another phase, so that their writes (each a burst of CPU on LMDB's writer
   * thread) do not all fall on the same height.
   */
  stateWritePhase: number;
}

export const defaultExecutionOptions: ExecutionOptions = {
  state: {},
  extraData: new TextEncoder().encode("zerog"),
  stateWriteInterval: 16,
  stateWriteMaxOps: 1_000_000,
  stateWritePhase: 0,
};

/** Unfinished state writes (the running one included) beyond which a block's commit waits for them. */
const MAX_QUEUED_STATE_WRITES = 2;

/** Names the block whose state the state database holds (in the state database). */
const STATE_HEAD_KEY = metaKey("stateHead");

/** A durable block's state writes, waiting for the next state write. */
interface UnwrittenState {
  block: StoredBlock;
  ops: BatchOp[][];
  count: number;
}

export interface ExecutionDeps {
  /** Blocks, bodies, receipts, commits and the head. */
  db: KVStore;
  /** Flat state, trie nodes, code and the transaction index (default: `db`). */
  stateDb?: KVStore;
  genesis: Genesis;
  logger: Logger;
  metrics: Metrics | null;
}

/**
 * The execution layer: owns the chain database (blocks, receipts, state) and implements the engine
 * boundary. Everything that changes the chain goes through `ExecutionEngine`; RPC reads `store`,
 * `stateDB` and `head` and never writes.
 */
export class Execution implements ExecutionEngine {
  readonly common: Common;
  readonly store: ChainStore;
  readonly stateDB: StateDB;
  readonly genesis: Genesis;
  private readonly db: KVStore;
  private readonly stateDb: KVStore;
  private readonly opts: ExecutionOptions;
  private readonly log: Logger;
  /** The last durable block: what RPC reports. */
  private headBlock!: StoredBlock;
  /** The last committed block in memory, maybe not yet durable: what the next block builds on. */
  private tipBlock!: StoredBlock;
  /** Block writes go to disk in order, one after another, while the next block is built. */
  private writeQueue: Promise<void> = Promise.resolve();
  /** State writes, in order; each covers blocks already durable. */
  private stateWrite: Promise<void> = Promise.resolve();
  private queuedStateWrites = 0;
  /** Committed blocks' state not yet handed to a state write, oldest first. */
  private readonly unwritten: UnwrittenState[] = [];
  /** A failed block or state write: the engine refuses further commits. */
  private writeError: unknown = null;
  private readonly tipListeners = new Set<(c: CommittedBlock) => void>();
  /** Hashes of the last 256 committed blocks (BLOCKHASH), including ones not yet on disk. */
  private readonly recentHashes = new Map<bigint, Uint8Array>();
  private readonly executed = new Map<string, ExecutedBlock>();
  private stagedHash: string | null = null;
  private finalized: ExecutedBlock | null = null;
  private readonly listeners = new Set<(c: CommittedBlock) => void>();
  private readonly metrics;

  constructor(opts: Partial<ExecutionOptions>, deps: ExecutionDeps) {
    this.opts = { ...defaultExecutionOptions, ...opts };
    if (!Number.isInteger(this.opts.stateWriteInterval) || this.opts.stateWriteInterval < 1) {
      throw new ChainError(
        { code: ChainErrorCode.INVALID_OPTION, option: "stateWriteInterval" },
        `stateWriteInterval must be a positive integer, got ${this.opts.stateWriteInterval}`,
      );
    }
    if (!Number.isInteger(this.opts.stateWritePhase) || this.opts.stateWritePhase < 0) {
      throw new ChainError(
        { code: ChainErrorCode.INVALID_OPTION, option: "stateWritePhase" },
        `stateWritePhase must be a non-negative integer, got ${this.opts.stateWritePhase}`,
      );
    }
    this.db = deps.db;
    this.stateDb = deps.stateDb ?? deps.db;
    this.genesis = deps.genesis;
    this.log = deps.logger;
    this.common = createChainCommon(deps.genesis.chainId);
    this.store = new ChainStore({ db: deps.db, indexDb: this.stateDb });
    this.stateDB = new StateDB(this.opts.state, { db: this.stateDb });
    this.metrics = deps.metrics
      ? {
          height: deps.metrics.gauge("zg_chain_head_height", "Height of the latest committed block"),
          txs: deps.metrics.counter("zg_chain_txs_total", "Transactions in committed blocks"),
          gas: deps.metrics.counter("zg_chain_gas_used_total", "Gas used by committed blocks"),
          exec: deps.metrics.histogram(
            "zg_block_execution_seconds",
            "Time to execute a block",
            [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
          ),
          commit: deps.metrics.histogram(
            "zg_block_commit_seconds",
            "Time to write a block durably",
            [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
          ),
        }
      : null;
  }

  get chainId(): bigint {
    return this.genesis.chainId;
  }

  /** The latest durable block (RPC's `latest`). */
  get head(): StoredBlock {
    return this.headBlock;
  }

  /** The latest committed block, possibly still being written (block building's parent). */
  get tip(): StoredBlock {
    return this.tipBlock;
  }

  /**
   * Opens the database at its head, or writes genesis into an empty one. Blocks that are durable but
   * whose state was not yet written (a crash) are executed again from the last state write.
   */
  async init(): Promise<void> {
    const expected = await computeGenesis(this.genesis);
    const head = this.store.head();
    if (!head) {
      // Only a crash between genesis's two writes leaves a state head without blocks.
      const stateHead = this.readStateHead();
      if (stateHead && (stateHead.number !== 0n || !equalsBytes(stateHead.hash, expected.hash))) {
        throw corrupt(
          "head",
          `the block database is empty but the state database is at block ${stateHead.number}; restore it or use a fresh data directory`,
        );
      }
      const genesis = new BlockState(this.stateDB);
      genesisState(this.genesis, genesis);
      const { root, ops } = this.stateDB.apply(genesis.diff());
      const stored: StoredBlock = { hash: expected.hash, header: expected.header, txHashes: [], size: blockSize(expected.header, []) };
      // State first: a head in the block database always has its state somewhere behind it.
      await this.stateDb.batch([...ops, stateHeadOp(stored)]);
      await this.db.batch(this.store.blockOps(stored, [], [], {}, true));
      this.stateDB.commitApplied();
      this.stateDB.markDurable(root);
      this.headBlock = this.tipBlock = stored;
      this.log.info({ hash: bytesToHex(stored.hash), chainId: Number(this.chainId) }, "genesis written");
      return;
    }
    const storedGenesis = this.store.genesisHash()!;
    if (bytesToHex(storedGenesis) !== bytesToHex(expected.hash)) {
      throw new ChainError(
        { code: ChainErrorCode.GENESIS_MISMATCH, stored: bytesToHex(storedGenesis), given: bytesToHex(expected.hash) },
        `the data directory holds a chain with genesis ${bytesToHex(storedGenesis)}, but the genesis given hashes to ${bytesToHex(expected.hash)}; use the original genesis or a fresh data directory`,
      );
    }
    const block = this.store.blockByHash(head.hash);
    if (!block) throw corrupt("head block", "the head block is missing from the database");
    const stateHead = this.readStateHead();
    const base = this.stateBase(block, stateHead);
    if (!stateHead) {
      // A data directory from before grouped state writes: its state is the head's. Say so before
      // any block is committed without its state, or a crash would leave that unknowable.
      await this.stateDb.batch([stateHeadOp(block)]);
    }
    this.headBlock = this.tipBlock = base;
    this.stateDB.open(base.header.stateRoot);
    if (base.header.number < head.number) {
      const started = performance.now();
      for (let n = base.header.number + 1n; n <= head.number; n++) await this.replay(n);
      this.log.info(
        { from: Number(base.header.number) + 1, to: Number(head.number), ms: Math.round(performance.now() - started) },
        "blocks since the last state write executed again",
      );
      this.maybeWriteState(false);
    }
    this.log.info({ height: Number(head.number), hash: bytesToHex(head.hash) }, "chain opened at head");
  }

  /** The block whose state the state database holds. */
  private stateBase(head: StoredBlock, stateHead: { number: bigint; hash: Uint8Array } | undefined): StoredBlock {
    let base = head;
    if (stateHead) {
      const b = this.store.blockByNumber(stateHead.number);
      if (stateHead.number > head.header.number || !b || !equalsBytes(b.hash, stateHead.hash)) {
        throw corrupt(
          "state head",
          `the state database is at block ${stateHead.number}, which is not on the chain ending at ${head.header.number}`,
        );
      }
      base = b;
    } else if (this.stateDb !== this.db) {
      throw corrupt("state head", "the state database is empty but the block database is not; restore it or use a fresh data directory");
    }
    // Without a state head (data directories from before grouped state writes) the head's state must be here.
    if (!this.stateDB.hasRoot(base.header.stateRoot)) {
      throw corrupt(
        "state",
        `the state of block ${base.header.number} is missing from the state database; restore it or use a fresh data directory`,
      );
    }
    return base;
  }

  private readStateHead(): { number: bigint; hash: Uint8Array } | undefined {
    const raw = this.stateDb.get(STATE_HEAD_KEY);
    if (!raw) return undefined;
    const d = rlpDecode(raw);
    if (!Array.isArray(d) || d.length !== 2 || Array.isArray(d[0]) || Array.isArray(d[1]))
      throw corrupt("state head", "the state head is malformed");
    return { number: bytesToBigInt(d[0] as Uint8Array), hash: d[1] as Uint8Array };
  }

  /** Executes durable block `n` again on the tip (start-up after a crash) and queues its state. */
  private async replay(n: bigint): Promise<void> {
    const stored = this.store.blockByNumber(n);
    const txs = stored && this.store.blockTxs(n);
    if (!stored || !txs) throw corrupt("block", `block ${n} or its transactions are missing from the database`);
    const misbehavior = this.store.misbehavior(n);
    const block: Block = { header: stored.header, hash: stored.hash, txs, ...(misbehavior.length > 0 ? { misbehavior } : {}) };
    const reason = await this.executeBlock(block);
    if (reason !== undefined) throw corrupt("block", `stored block ${n} does not execute to its header: ${reason}`);
    this.commitInMemory(stored, txs, this.executed.get(hashKey(block.hash))!.stateOps);
    this.headBlock = stored;
    this.store.holdUnindexed(n, txs);
  }

  /** The staged block becomes the tip; its state writes wait for the next state write. */
  private commitInMemory(stored: StoredBlock, txs: readonly SignedTx[], stateOps: BatchOp[]): void {
    const n = stored.header.number;
    this.unwritten.push({ block: stored, ops: [stateOps, this.store.txIndexOps(n, txs)], count: stateOps.length + txs.length });
    this.stateDB.commitApplied();
    this.tipBlock = stored;
    this.recentHashes.set(n, stored.hash);
    this.recentHashes.delete(n - 257n);
    this.executed.clear();
    this.stagedHash = null;
  }

  /** After a block is durable and the head (RPC notifications, filters, fee statistics). */
  onCommit(listener: (c: CommittedBlock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** As soon as a block is committed in memory, before it is durable (the mempool's clean-up). */
  onTip(listener: (c: CommittedBlock) => void): () => void {
    this.tipListeners.add(listener);
    return () => this.tipListeners.delete(listener);
  }

  /** Base fee of the next block. */
  nextBaseFee(): bigint {
    return nextBaseFee(this.tipBlock.header, this.genesis.minBaseFeePerGas);
  }

  /** The environment of a block at `height` on the current head. */
  blockEnv(height: bigint, timestamp: bigint, coinbase: Uint8Array): BlockEnv {
    const parent = this.tipBlock.header;
    return {
      number: height,
      timestamp,
      coinbase,
      gasLimit: parent.gasLimit,
      baseFeePerGas: this.nextBaseFee(),
      prevRandao: prevRandaoFor(this.tipBlock.hash),
      getBlockHash: (n) => (n < height && n + 256n >= height ? (this.recentHashes.get(n) ?? this.store.hashByNumber(n)) : undefined),
    };
  }

  async prepareProposal(p: ProposalParams): Promise<ProposalResult> {
    this.expectNextHeight(p.height);
    const started = performance.now();
    const env = this.blockEnv(
      p.height,
      p.timestamp > this.tipBlock.header.timestamp ? p.timestamp : this.tipBlock.header.timestamp,
      p.proposer,
    );
    const state = new BlockState(this.stateDB);
    const ex = await BlockExecutor.create(this.common, env, state);
    const txs = [];
    const outcomes = [];
    const rejected: ProposalResult["rejected"] = [];
    const maxTxs = p.maxTxs ?? Number.POSITIVE_INFINITY;
    for (let tx = p.candidates.peek(); tx !== undefined && txs.length < maxTxs; tx = p.candidates.peek()) {
      if (env.gasLimit - ex.gasUsed < 21_000n) break;
      if (p.maxBuildMs !== undefined && performance.now() - started > p.maxBuildMs) break;
      if (tx.gasLimit > env.gasLimit - ex.gasUsed) {
        p.candidates.pop();
        continue;
      }
      try {
        outcomes.push(await ex.applyTx(tx));
        txs.push(tx);
        p.candidates.shift();
      } catch (e) {
        if (!(e instanceof TxError)) throw e;
        rejected.push({ tx, error: e });
        p.candidates.pop();
      }
    }
    p.onTxsChosen?.(txs, env.timestamp);
    const sealStarted = performance.now();
    const misbehavior = p.misbehavior ?? [];
    const extraData = misbehavior.length > 0 ? misbehaviorCommitment(misbehavior) : this.opts.extraData;
    const executed = this.seal(env, txs, outcomes.map(outcomeToReceipt), state, extraData, misbehavior);
    this.log.debug(
      {
        height: Number(p.height),
        txs: txs.length,
        execMs: Math.round(sealStarted - started),
        sealMs: Math.round(performance.now() - sealStarted),
      },
      "block built",
    );
    this.metrics?.exec.observe((performance.now() - started) / 1000);
    return { block: executed.block, rejected };
  }

  async processProposal(block: Block): Promise<ProcessResult> {
    if (this.executed.has(hashKey(block.hash))) return { accept: true };
    const reason = await this.executeBlock(block);
    return reason === undefined ? { accept: true } : { accept: false, reason };
  }

  async finalizeBlock(block: Block, decision?: Decision): Promise<FinalizeResult> {
    const key = hashKey(block.hash);
    if (!this.executed.has(key)) {
      const reason = await this.executeBlock(block);
      if (reason !== undefined) {
        throw new ChainError(
          { code: ChainErrorCode.INVALID_BLOCK, height: block.header.number, reason },
          `decided block ${key} is invalid: ${reason}`,
        );
      }
    }
    const executed = this.executed.get(key)!;
    if (this.stagedHash !== key) {
      executed.stateOps = this.stateDB.apply(executed.diff).ops;
      this.stagedHash = key;
    }
    if (decision) executed.commit = decision.commit;
    this.finalized = executed;
    return { receipts: executed.receipts, stateRoot: block.header.stateRoot, gasUsed: block.header.gasUsed };
  }

  /**
   * Commits the finalized block: at once in memory (the next block can be built on it), then on
   * disk behind earlier blocks. Resolves when it is durable and the head; only then do RPC, receipts
   * and subscriptions see it, so nothing a client was told about can be lost in a crash.
   */
  commit(): Promise<ChainHead> {
    if (this.writeError) return Promise.reject(this.writeError);
    const f = this.finalized;
    if (!f || this.stagedHash !== hashKey(f.block.hash)) {
      return Promise.reject(
        new ChainError({ code: ChainErrorCode.ENGINE_STATE, reason: "commit without finalizeBlock" }, "commit called before finalizeBlock"),
      );
    }
    const { block, receipts, size } = f;
    const stored: StoredBlock = { hash: block.hash, header: block.header, txHashes: block.txs.map((t) => t.hash), size };
    const ops = this.store.blockOps(stored, block.txs, receipts, { commit: f.commit, misbehavior: block.misbehavior });
    this.commitInMemory(stored, block.txs, f.stateOps);
    this.finalized = null;
    const committed: CommittedBlock = { block, receipts, size, ...(f.commit ? { commit: f.commit } : {}) };
    this.notify(this.tipListeners, committed);
    const write = this.writeQueue.then(async () => {
      const started = performance.now();
      await this.db.batch(ops);
      this.headBlock = stored;
      this.store.remember(stored, receipts);
      this.store.holdUnindexed(stored.header.number, block.txs);
      this.maybeWriteState(false);
      this.log.debug({ height: Number(block.header.number), writeMs: Math.round(performance.now() - started) }, "block written");
      if (this.metrics) {
        this.metrics.commit.observe((performance.now() - started) / 1000);
        this.metrics.height.set(Number(block.header.number));
        this.metrics.txs.inc(block.txs.length);
        this.metrics.gas.inc(Number(block.header.gasUsed));
      }
      this.notify(this.listeners, committed);
      // Backpressure: with a disk slower than the chain, commits wait rather than memory grow.
      if (this.queuedStateWrites > MAX_QUEUED_STATE_WRITES) await this.stateWrite;
    });
    this.writeQueue = write.catch((e: unknown) => {
      this.writeError ??= e;
    });
    return write.then(() => ({ number: block.header.number, hash: block.hash }));
  }

  /** Resolves when every committed block and all of their state are on disk. */
  async flush(): Promise<void> {
    await this.writeQueue;
    this.maybeWriteState(true);
    await this.stateWrite;
    if (this.writeError) throw this.writeError;
  }

  /**
   * Hands the state of durable blocks to one write when enough has gathered (or `all`). The write
   * ends with the state head, so a crash at any point leaves the state database at some durable
   * block, from which start-up executes the rest again.
   */
  private maybeWriteState(all: boolean): void {
    const durable = this.headBlock.header.number;
    let blocks = 0;
    let count = 0;
    while (blocks < this.unwritten.length && this.unwritten[blocks]!.block.header.number <= durable)
      count += this.unwritten[blocks++]!.count;
    if (blocks === 0) return;
    const interval = BigInt(this.opts.stateWriteInterval);
    const atPhase = (this.unwritten[blocks - 1]!.block.header.number + BigInt(this.opts.stateWritePhase)) % interval === 0n;
    if (!all && !atPhase && blocks < this.opts.stateWriteInterval && count < this.opts.stateWriteMaxOps) return;
    const group = this.unwritten.splice(0, blocks);
    const top = group[group.length - 1]!.block;
    const ops: BatchOp[] = [];
    for (const g of group) for (const part of g.ops) for (const op of part) ops.push(op);
    ops.push(stateHeadOp(top));
    this.queuedStateWrites++;
    this.stateWrite = this.stateWrite.then(async () => {
      try {
        if (this.writeError) return;
        const started = performance.now();
        try {
          await this.stateDb.batch(ops);
        } catch (e) {
          this.writeError ??= e;
          this.log.error({ err: e, height: Number(top.header.number) }, "state write failed; no further blocks are committed");
          return;
        }
        this.stateDB.markDurable(top.header.stateRoot);
        this.store.releaseUnindexed(top.header.number);
        this.log.debug(
          { blocks: group.length, to: Number(top.header.number), ops: ops.length, writeMs: Math.round(performance.now() - started) },
          "state written",
        );
      } finally {
        this.queuedStateWrites--;
      }
    });
  }

  private notify(listeners: Set<(c: CommittedBlock) => void>, c: CommittedBlock): void {
    for (const l of listeners) {
      try {
        l(c);
      } catch (e) {
        this.log.error({ err: e }, "commit listener failed");
      }
    }
  }

  /** Executes a block received from elsewhere; returns why it is invalid, or undefined. */
  private async executeBlock(block: Block): Promise<string | undefined> {
    const h = block.header;
    const parent = this.tipBlock;
    if (h.number !== parent.header.number + 1n) return `height ${h.number} does not follow head ${parent.header.number}`;
    if (bytesToHex(h.parentHash) !== bytesToHex(parent.hash)) return "parent hash is not the head";
    if (h.timestamp < parent.header.timestamp) return "timestamp before the parent's";
    if (h.coinbase.length !== 20) return "coinbase is not an address";
    const misbehavior = block.misbehavior ?? [];
    if (
      misbehavior.length > 0
        ? !equalsBytes(h.extraData, misbehaviorCommitment(misbehavior))
        : h.extraData[0] === MISBEHAVIOR_MARKER && h.extraData.length === 33
    ) {
      return "extraData does not commit to the block's misbehaviour list";
    }
    const started = performance.now();
    const env = this.blockEnv(h.number, h.timestamp, h.coinbase);
    const state = new BlockState(this.stateDB);
    const ex = await BlockExecutor.create(this.common, env, state);
    const outcomes = [];
    for (const [i, tx] of block.txs.entries()) {
      try {
        outcomes.push(await ex.applyTx(tx));
      } catch (e) {
        if (!(e instanceof TxError)) throw e;
        return `transaction ${i} (${bytesToHex(tx.hash)}) is invalid: ${e.message}`;
      }
    }
    const executed = this.seal(env, block.txs, outcomes.map(outcomeToReceipt), state, h.extraData, block.misbehavior ?? []);
    this.metrics?.exec.observe((performance.now() - started) / 1000);
    const mismatch = headerMismatch(h, executed.block.header);
    if (mismatch !== undefined || hashKey(executed.block.hash) !== hashKey(block.hash)) {
      this.executed.delete(hashKey(executed.block.hash));
      this.stateDB.discard();
      this.stagedHash = null;
      return mismatch ?? "block hash does not match its executed header";
    }
    return undefined;
  }

  /** Computes roots and header, stages the state, and remembers the executed block by hash. */
  private seal(
    env: BlockEnv,
    txs: Block["txs"],
    receipts: ExecutedBlock["receipts"],
    state: BlockState,
    extraData: Uint8Array,
    misbehavior: Block["misbehavior"] & object,
  ): ExecutedBlock {
    const diff = state.diff();
    const { root, ops } = this.stateDB.apply(diff);
    const header: BlockHeader = makeHeader(this.tipBlock.hash, env, extraData, root, executionHeaderFields(txs, receipts));
    const block = blockFromHeader(header, txs);
    if (misbehavior.length > 0) block.misbehavior = misbehavior;
    const executed: ExecutedBlock = { block, receipts, diff, stateOps: ops, size: blockSize(header, txs) };
    const key = hashKey(block.hash);
    this.executed.set(key, executed);
    this.stagedHash = key;
    return executed;
  }

  private expectNextHeight(height: bigint): void {
    if (height !== this.tipBlock.header.number + 1n) {
      throw new ChainError(
        { code: ChainErrorCode.ENGINE_STATE, reason: "height" },
        `cannot build height ${height} on head ${this.tipBlock.header.number}`,
      );
    }
  }
}

function stateHeadOp(block: StoredBlock): BatchOp {
  return { type: "put", key: STATE_HEAD_KEY, value: rlpEncode([block.header.number, block.hash]) };
}

function corrupt(what: string, message: string): ChainError {
  return new ChainError({ code: ChainErrorCode.CORRUPT_DATA, what }, message);
}

/** The genesis block a genesis description produces (computed in memory). */
export async function computeGenesis(g: Genesis): Promise<{ header: BlockHeader; hash: Uint8Array }> {
  const stateDB = new StateDB({}, { db: new MemoryStore() });
  const state = new BlockState(stateDB);
  genesisState(g, state);
  const { root } = stateDB.apply(state.diff());
  const header = genesisHeader(g, root);
  return { header, hash: blockFromHeader(header, []).hash };
}
