/**
 * Grouped state writes: blocks are durable one by one, their state every few blocks, and start-up
 * executes the blocks since the last state write again. A crash is cut between any two database
 * batches (each batch is atomic; LMDBStore's own test kills a writer process to show that).
 */
import {
  type BatchOp,
  bytesToHex,
  createSilentLogger,
  hexToBytes,
  type KVStore,
  MemoryStore,
  type RangeOptions,
  tableKey,
} from "@zerog/core";
import { describe, expect, it } from "vitest";
import { ChainErrorCode } from "../../src/errors.js";
import { type Block, listCandidates } from "../../src/execution/engine.js";
import { Execution, type ExecutionOptions } from "../../src/execution/execution.js";
import { parseGenesis } from "../../src/execution/genesis.js";
import { heightKey, Table } from "../../src/state/tables.js";
import type { SignedTx } from "../../src/tx/transaction.js";
import { ADDRESSES, CHAIN_ID, KEYS, signedTransfer } from "../utils/chainHarness.js";

const key = KEYS[0]!;
const genesis = parseGenesis({
  chainId: Number(CHAIN_ID),
  timestamp: 1_700_000_000,
  alloc: { [bytesToHex(ADDRESSES[0]!)]: { balance: "10000000000000000000" } },
});
const BLOCKS = 8;
const PER_BLOCK = 3;
/** Every transfer goes to a new account, so each block adds trie nodes and index rows. */
const recipient = (n: number) => hexToBytes(`0x${(0xbeef0000 + n).toString(16).padStart(40, "0")}`);
const txsOf = (b: number): SignedTx[] =>
  Array.from({ length: PER_BLOCK }, (_, i) => {
    const n = b * PER_BLOCK + i;
    return signedTransfer(key, { nonce: BigInt(n), to: recipient(n), value: BigInt(n + 1) });
  });

/** Builds block `b + 1` from `txsOf(b)` and finalizes it (ready for `commit`). */
async function finalizeNext(ex: Execution, b: number): Promise<void> {
  const height = BigInt(b + 1);
  const { block } = await ex.prepareProposal({
    height,
    timestamp: 1_700_000_000n + height,
    proposer: new Uint8Array(20),
    candidates: listCandidates(txsOf(b)),
  });
  expect(block.txs).toHaveLength(PER_BLOCK);
  await ex.finalizeBlock(block);
}

interface Budget {
  /** Batches still to apply before the crash. */
  left: number;
  crash: () => void;
  /** Batches of both stores apply in issue order, each a little later (as a writer thread does). */
  queue?: Promise<void>;
}

/** Batches apply in order until the budget is spent; from then on they never complete (the process died). */
class CrashingStore implements KVStore {
  constructor(
    readonly inner: MemoryStore,
    private readonly budget: Budget,
  ) {}
  get(k: Uint8Array) {
    return this.inner.get(k);
  }
  has(k: Uint8Array) {
    return this.inner.has(k);
  }
  range(o: RangeOptions) {
    return this.inner.range(o);
  }
  batch(ops: readonly BatchOp[]): Promise<void> {
    const b = this.budget;
    const applied = (b.queue ?? Promise.resolve()).then(async () => {
      await new Promise((r) => setTimeout(r, 1));
      if (b.left <= 0) {
        b.crash();
        return new Promise<void>(() => {});
      }
      b.left--;
      await this.inner.batch(ops);
    });
    b.queue = applied;
    return applied;
  }
  async close() {}
}

async function openExecution(db: KVStore, stateDb: KVStore, opts: Partial<ExecutionOptions> = {}): Promise<Execution> {
  const ex = new Execution({ stateWriteInterval: 3, ...opts }, { db, stateDb, genesis, logger: createSilentLogger(), metrics: null });
  await ex.init();
  return ex;
}

/** Builds, finalizes and commits an empty block at `h`, then lets a state write that is due start. */
async function commitEmptyBlock(ex: Execution, h: bigint): Promise<Block> {
  const { block } = await ex.prepareProposal({
    height: h,
    timestamp: 1_700_000_000n + h,
    proposer: new Uint8Array(20),
    candidates: listCandidates([]),
  });
  await ex.finalizeBlock(block);
  await ex.commit();
  await new Promise((r) => setImmediate(r));
  return block;
}

/**
 * Builds and commits blocks, up to two writes in flight (the engine allows any number); returns the
 * highest block whose commit resolved, stopping at a crash.
 */
async function drive(ex: Execution, crashed: Promise<void>): Promise<{ durable: number; crashed: boolean }> {
  let durable = 0;
  const inflight: Promise<unknown>[] = [];
  const CRASH = Symbol("crash");
  const dead = crashed.then(() => CRASH);
  for (let b = 0; b < BLOCKS; b++) {
    await finalizeNext(ex, b);
    if (inflight.length === 2 && (await Promise.race([inflight.shift(), dead])) === CRASH) return { durable, crashed: true };
    inflight.push(
      ex.commit().then(() => {
        durable = b + 1;
      }),
    );
  }
  if ((await Promise.race([Promise.all(inflight).then(() => ex.flush()), dead])) === CRASH) return { durable, crashed: true };
  return { durable, crashed: false };
}

const genesisRoot = (ex: Execution) => ex.store.blockByNumber(0n)!.header.stateRoot;

function balanceAfter(height: number, n: number): bigint {
  return n < height * PER_BLOCK ? BigInt(n + 1) : 0n;
}

describe("grouped state writes", () => {
  it("reopens at a consistent head after a crash between any two batches", async () => {
    // The reference run: every block's hash, and how many batches the whole run writes.
    const ref = { left: Number.POSITIVE_INFINITY, crash: () => {} };
    const refDb = new MemoryStore();
    const refState = new MemoryStore();
    const refEx = await openExecution(new CrashingStore(refDb, ref), new CrashingStore(refState, ref));
    const refRun = await drive(refEx, new Promise(() => {}));
    expect(refRun).toEqual({ durable: BLOCKS, crashed: false });
    const hashes = Array.from({ length: BLOCKS + 1 }, (_, h) => bytesToHex(refEx.store.hashByNumber(BigInt(h))!));
    let batches = 0;
    {
      const counter = { left: 1_000, crash: () => {} };
      const ex = await openExecution(new CrashingStore(new MemoryStore(), counter), new CrashingStore(new MemoryStore(), counter));
      await drive(ex, new Promise(() => {}));
      batches = 1_000 - counter.left;
    }
    // 2 for genesis, one per block, a state write every 3 blocks and the final flush.
    expect(batches).toBe(2 + BLOCKS + Math.ceil(BLOCKS / 3));

    let replays = 0;
    for (let cut = 0; cut <= batches; cut++) {
      const db = new MemoryStore();
      const stateDb = new MemoryStore();
      let crash!: () => void;
      const crashed = new Promise<void>((r) => {
        crash = r;
      });
      const budget: Budget = { left: cut, crash };
      let run: { durable: number; crashed: boolean };
      try {
        const ex = await Promise.race([
          openExecution(new CrashingStore(db, budget), new CrashingStore(stateDb, budget)),
          crashed.then(() => null),
        ]);
        run = ex ? await drive(ex, crashed) : { durable: 0, crashed: true };
      } catch (e) {
        throw new Error(`cut ${cut}: ${(e as Error).message}`);
      }
      expect(run.crashed, `cut ${cut}`).toBe(cut < batches);
      if (cut < 2) continue; // genesis was not fully written: a fresh start writes it again
      const reopened = await openExecution(db, stateDb);
      const head = Number(reopened.head.header.number);
      expect(head, `cut ${cut}`).toBeGreaterThanOrEqual(run.durable);
      expect(bytesToHex(reopened.head.hash), `cut ${cut}`).toBe(hashes[head]);
      expect(bytesToHex(reopened.stateDB.root)).toBe(bytesToHex(reopened.head.header.stateRoot));
      for (let n = 0; n < BLOCKS * PER_BLOCK; n++) {
        expect(reopened.stateDB.getAccount(recipient(n))?.balance ?? 0n, `cut ${cut}, account ${n}`).toBe(balanceAfter(head, n));
      }
      // Every transaction of a durable block is found, whether its index row is written or not.
      for (let b = 0; b < head; b++) for (const tx of txsOf(b)) expect(reopened.store.tx(tx.hash)?.height).toBe(BigInt(b + 1));
      if (reopened.stateDB.unwrittenBlocks > 0) replays++;
      // After writing everything, a third start needs no replay and agrees.
      await reopened.flush();
      const again = await openExecution(db, stateDb);
      expect(again.stateDB.unwrittenBlocks).toBe(0);
      expect(bytesToHex(again.stateDB.root)).toBe(bytesToHex(reopened.head.header.stateRoot));
    }
    // Many cuts leave durable blocks whose state was not written, so start-up had to execute them again.
    expect(replays).toBeGreaterThan(3);
  });

  it("serves unwritten blocks' state, history and transactions, and writes them to the state database", async () => {
    const db = new MemoryStore();
    const stateDb = new MemoryStore();
    const ex = await openExecution(db, stateDb, { stateWriteInterval: 100 });
    const forever = new Promise<void>(() => {});
    let inflight: Promise<unknown> = Promise.resolve();
    for (let b = 0; b < 4; b++) {
      await finalizeNext(ex, b);
      await inflight;
      inflight = ex.commit();
    }
    await Promise.race([inflight, forever]);
    expect(ex.head.header.number).toBe(4n);
    expect(ex.stateDB.unwrittenBlocks).toBeGreaterThanOrEqual(4);
    const root2 = ex.store.blockByNumber(2n)!.header.stateRoot;
    expect(ex.stateDB.hasRoot(root2)).toBe(true);
    expect(ex.stateDB.at(root2).getAccount(recipient(PER_BLOCK * 2 - 1))?.balance).toBe(BigInt(PER_BLOCK * 2));
    expect(ex.stateDB.at(root2).getAccount(recipient(PER_BLOCK * 2))).toBeUndefined();
    const tx = txsOf(3)[1]!;
    expect(ex.store.tx(tx.hash)).toMatchObject({ height: 4n, index: 1 });
    expect(stateDb.get(tableKey(Table.TX_INDEX, tx.hash))).toBeUndefined();
    expect(db.get(tableKey(Table.BODY, heightKey(4n)))).toBeDefined();
    expect(ex.store.blockTxs(4n)?.map((t) => bytesToHex(t.hash))).toEqual(txsOf(3).map((t) => bytesToHex(t.hash)));
    await ex.flush();
    expect(ex.stateDB.unwrittenBlocks).toBe(0);
    expect(stateDb.get(tableKey(Table.TX_INDEX, tx.hash))).toBeDefined();
    expect(ex.store.tx(tx.hash)).toMatchObject({ height: 4n, index: 1 });
    // Blocks and state are in their own databases.
    expect(db.get(tableKey(Table.TX_INDEX, tx.hash))).toBeUndefined();
    expect(stateDb.get(tableKey(Table.BODY, heightKey(4n)))).toBeUndefined();
  });

  it("serves unwritten blocks' accounts after the caches are dropped for size", async () => {
    // A cache of one entry is dropped at every block's seal; the accounts of unwritten blocks must survive it.
    const ex = await openExecution(new MemoryStore(), new MemoryStore(), { stateWriteInterval: 100, state: { maxCacheEntries: 1 } });
    for (let b = 0; b < 6; b++) {
      await finalizeNext(ex, b); // its transactions need the sender's nonce after the previous drop
      await ex.commit();
    }
    expect(ex.stateDB.unwrittenBlocks).toBe(6);
    for (let n = 0; n < 6 * PER_BLOCK; n++) expect(ex.stateDB.getAccount(recipient(n))?.balance).toBe(BigInt(n + 1));
    expect(ex.stateDB.getAccount(ADDRESSES[0]!)?.nonce).toBe(BigInt(6 * PER_BLOCK));
  });

  it("keeps no more unwritten blocks than the interval on an idle chain, where empty blocks repeat their parent's root", async () => {
    const ex = await openExecution(new MemoryStore(), new MemoryStore(), { stateWriteInterval: 4 });
    for (let h = 1n; h <= 40n; h++) {
      const block = await commitEmptyBlock(ex, h);
      expect(block.header.stateRoot).toEqual(genesisRoot(ex));
      expect(ex.stateDB.unwrittenBlocks).toBeLessThanOrEqual(4);
    }
  });

  it("writes the state after the blocks at its phase of the interval (nodes sharing a machine spread their writes)", async () => {
    for (const phase of [0, 1, 3, 6]) {
      const ex = await openExecution(new MemoryStore(), new MemoryStore(), { stateWriteInterval: 4, stateWritePhase: phase });
      const writtenAfter: number[] = [];
      for (let h = 1n; h <= 12n; h++) {
        await commitEmptyBlock(ex, h);
        if (ex.stateDB.unwrittenBlocks === 0) writtenAfter.push(Number(h));
      }
      expect(writtenAfter).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].filter((h) => (h + phase) % 4 === 0));
    }
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(
        () => new Execution({ stateWritePhase: bad }, { db: new MemoryStore(), genesis, logger: createSilentLogger(), metrics: null }),
      ).toThrow(expect.objectContaining({ code: ChainErrorCode.INVALID_OPTION }));
    }
  });

  it("makes commits wait, not memory grow, while the state database falls behind", async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    let stateBatches = 0;
    const stateDb = new MemoryStore();
    const slowState: KVStore = Object.assign(Object.create(stateDb) as MemoryStore, {
      batch: async (ops: readonly BatchOp[]) => {
        if (stateBatches++ > 0) await gate; // genesis passes; every later state write waits
        await stateDb.batch(ops);
      },
    });
    const ex = await openExecution(new MemoryStore(), slowState, { stateWriteInterval: 1 });
    const resolved: number[] = [];
    const commits: Promise<unknown>[] = [];
    for (let b = 0; b < 4; b++) {
      await finalizeNext(ex, b);
      commits.push(ex.commit().then(() => resolved.push(b + 1)));
      await new Promise((r) => setTimeout(r, 5));
    }
    // Blocks 1-3 queue three state writes (the first one stuck); block 3's commit waits for them, and 4 behind it.
    expect(resolved).toEqual([1, 2]);
    expect(ex.head.header.number).toBe(3n);
    expect(ex.stateDB.unwrittenBlocks).toBe(4);
    open();
    await Promise.all(commits);
    expect(resolved).toEqual([1, 2, 3, 4]);
    await ex.flush();
    expect(ex.stateDB.unwrittenBlocks).toBe(0);
  });

  it("opens a data directory from before grouped state writes and survives a crash after it", async () => {
    const db = new MemoryStore();
    const ex = await openExecution(db, db, { stateWriteInterval: 1 });
    let inflight: Promise<unknown> = Promise.resolve();
    for (let b = 0; b < 2; b++) {
      await finalizeNext(ex, b);
      await inflight;
      inflight = ex.commit();
    }
    await ex.flush();
    // What an older version left: one database, the state of the head, no state head row.
    await db.batch([{ type: "del", key: tableKey(Table.META, new TextEncoder().encode("stateHead")) }]);
    const upgraded = await openExecution(db, db, { stateWriteInterval: 100 });
    expect(upgraded.head.header.number).toBe(2n);
    for (let b = 2; b < 5; b++) {
      await finalizeNext(upgraded, b);
      await upgraded.commit();
    }
    // Crash: blocks 3-5 are durable, their state is not written.
    const reopened = await openExecution(db, db, { stateWriteInterval: 100 });
    expect(reopened.head.header.number).toBe(5n);
    expect(reopened.stateDB.unwrittenBlocks).toBe(3);
    for (let n = 0; n < 5 * PER_BLOCK; n++) expect(reopened.stateDB.getAccount(recipient(n))?.balance).toBe(BigInt(n + 1));
  });

  it("refuses to start on a block database without its state database, or with an invalid interval", async () => {
    const db = new MemoryStore();
    const state = new MemoryStore();
    const ex = await openExecution(db, state);
    await drive(ex, new Promise(() => {}));
    await expect(openExecution(db, new MemoryStore())).rejects.toMatchObject({ code: ChainErrorCode.CORRUPT_DATA });
    // Opened as one database (an older layout) it has no state at all: refused, not read as empty accounts.
    await expect(openExecution(db, db)).rejects.toMatchObject({
      code: ChainErrorCode.CORRUPT_DATA,
      message: expect.stringMatching(/state of block 8 is missing/),
    });
    // A state database of a longer chain next to an empty block database is refused too.
    await expect(openExecution(new MemoryStore(), state)).rejects.toMatchObject({
      code: ChainErrorCode.CORRUPT_DATA,
      message: expect.stringMatching(/block database is empty but the state database is at block 8/),
    });
    expect(() => new Execution({ stateWriteInterval: 0 }, { db, genesis, logger: createSilentLogger(), metrics: null })).toThrow(
      expect.objectContaining({ code: ChainErrorCode.INVALID_OPTION }),
    );
  });

  it("refuses a stored block that does not execute to its header", async () => {
    const db = new MemoryStore();
    const stateDb = new MemoryStore();
    const budget: Budget = { left: 2 + 5, crash: () => {} }; // genesis and five blocks; no state write after genesis
    const ex = await openExecution(new CrashingStore(db, budget), new CrashingStore(stateDb, budget), { stateWriteInterval: 100 });
    void drive(ex, new Promise(() => {}));
    while (budget.left > 0) await new Promise((r) => setImmediate(r));
    const intact = await openExecution(db, stateDb, { stateWriteInterval: 100 });
    expect(intact.head.header.number).toBe(5n);
    expect(intact.stateDB.unwrittenBlocks).toBe(5);
    // Drop a transaction from block 3's body: executing it again gives another state root.
    const body = txsOf(2).slice(0, 2);
    const { rlpEncode } = await import("@zerog/core");
    await db.batch([{ type: "put", key: tableKey(Table.BODY, heightKey(3n)), value: rlpEncode(body.map((t) => [t.sender, t.raw])) }]);
    await expect(openExecution(db, stateDb, { stateWriteInterval: 100 })).rejects.toMatchObject({
      code: ChainErrorCode.CORRUPT_DATA,
      message: expect.stringMatching(/stored block 3 does not execute to its header/),
    });
  });
});
