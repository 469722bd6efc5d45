import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeTx, Execution, type ExecutionOptions, listCandidates, parseGenesis, type SignedTx } from "@zerog/chain";
import { createSilentLogger, LMDBStore } from "@zerog/core";
import { CHAIN_ID, type Workload } from "./workload.js";

export interface ExecutionOnlyResult {
  txs: number;
  ms: number;
  tps: number;
  /** CPU time of the whole process (every thread, the database writers included), to the last state write. */
  cpuMs: number;
  /** decodeTx (RLP + signature recovery) alone. */
  decodeTps: number;
}

/** One block of an `executionOnly` run: building (execution, roots, seal) and committing (the database write). */
export interface BlockTiming {
  height: bigint;
  txs: number;
  buildMs: number;
  /** Until the block is durable (its state may be written later, with other blocks). */
  commitMs: number;
  /** CPU time of the whole process during the block (every thread). */
  cpuMs: number;
}

/**
 * The engine alone on a real LMDB laid out as a node's (a block and a state environment): blocks
 * of `blockTxs` built, executed, rooted and committed, with senders already recovered (no RPC, no
 * mempool). The time ends when the last state write is on disk.
 */
export async function executionOnly(
  genesisAlloc: Record<string, unknown>,
  setup: SignedTx[],
  work: Workload,
  blockTxs = 1_000,
  onBlock?: (t: BlockTiming) => void,
  options: Partial<ExecutionOptions> = {},
): Promise<ExecutionOnlyResult> {
  const dir = mkdtempSync(join(tmpdir(), "zg-exec-bench-"));
  const db = new LMDBStore({ path: join(dir, "chain") });
  const stateDb = new LMDBStore({ path: join(dir, "state") });
  const genesis = parseGenesis({ chainId: Number(CHAIN_ID), timestamp: 1_700_000_000, gasLimit: "1000000000", alloc: genesisAlloc });
  const ex = new Execution(options, { db, stateDb, genesis, logger: createSilentLogger(), metrics: null });
  await ex.init();
  let ts = 1_700_000_001n;
  const mine = async (txs: SignedTx[]) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { block, rejected } = await ex.prepareProposal({
      height: ex.head.header.number + 1n,
      timestamp: ts++,
      proposer: new Uint8Array(20),
      candidates: listCandidates(txs),
    });
    if (rejected.length > 0) throw new Error(`execution-only: ${rejected.length} txs rejected: ${rejected[0]!.error.message}`);
    await ex.finalizeBlock(block);
    const t1 = performance.now();
    await ex.commit();
    const c = process.cpuUsage(c0);
    onBlock?.({
      height: block.header.number,
      txs: block.txs.length,
      buildMs: t1 - t0,
      commitMs: performance.now() - t1,
      cpuMs: (c.user + c.system) / 1000,
    });
  };
  await mine(setup);
  await ex.flush();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < work.txs.length; i += blockTxs) await mine(work.txs.slice(i, i + blockTxs));
  await ex.flush();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  const d0 = performance.now();
  const sample = work.txs.slice(0, 5_000);
  for (const tx of sample) decodeTx(tx.raw);
  const decodeMs = performance.now() - d0;
  await db.close();
  await stateDb.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    txs: work.txs.length,
    ms,
    tps: (work.txs.length * 1000) / ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    decodeTps: (sample.length * 1000) / decodeMs,
  };
}
