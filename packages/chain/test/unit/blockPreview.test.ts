/**
 * Block previews at the engine: the proposer reports its transactions before sealing, a peer builds the same block
 * from them, and the proposal is then accepted without being executed again. A preview that differs in anything the
 * header covers builds another block, and the proposal is executed as usual.
 */
import { bytesToHex, createSilentLogger, hexToBytes, MemoryStore } from "@zerog/core";
import { describe, expect, it, vi } from "vitest";
import { type Block, listCandidates } from "../../src/execution/engine.js";
import { Execution } from "../../src/execution/execution.js";
import { parseGenesis } from "../../src/execution/genesis.js";
import type { SignedTx } from "../../src/tx/transaction.js";
import { ADDRESSES, CHAIN_ID, KEYS, signedTransfer } from "../utils/chainHarness.js";

const genesis = parseGenesis({
  chainId: Number(CHAIN_ID),
  timestamp: 1_700_000_000,
  alloc: { [bytesToHex(ADDRESSES[0]!)]: { balance: "10000000000000000000" } },
});
const coinbase = hexToBytes(`0x${"c0".repeat(20)}`);
const txs = Array.from({ length: 6 }, (_, n) =>
  signedTransfer(KEYS[0]!, { nonce: BigInt(n), to: hexToBytes(`0x${(0xabc0 + n).toString(16).padStart(40, "0")}`), value: 1n }),
);

async function engine(): Promise<Execution> {
  const ex = new Execution({}, { db: new MemoryStore(), stateDb: new MemoryStore(), genesis, logger: createSilentLogger(), metrics: null });
  await ex.init();
  return ex;
}

/** Counts executions of proposals (the path a previewed block skips). */
function countExecutions(ex: Execution): { count: () => number } {
  const spy = vi.spyOn(ex as unknown as { executeBlock: (b: Block) => Promise<string | undefined> }, "executeBlock");
  return { count: () => spy.mock.calls.length };
}

describe("block previews", () => {
  it("a peer builds the proposer's block from its preview, then accepts the proposal without executing it", async () => {
    const proposer = await engine();
    const peer = await engine();
    const chosen: { txs: readonly SignedTx[]; timestamp: bigint }[] = [];
    const { block } = await proposer.prepareProposal({
      height: 1n,
      timestamp: 1_700_000_005n,
      proposer: coinbase,
      candidates: listCandidates(txs),
      onTxsChosen: (t, timestamp) => chosen.push({ txs: [...t], timestamp }),
    });
    expect(chosen).toHaveLength(1);
    expect(chosen[0]!.txs.map((t) => bytesToHex(t.hash))).toEqual(block.txs.map((t) => bytesToHex(t.hash)));
    expect(chosen[0]!.timestamp).toBe(block.header.timestamp);

    const built = await peer.prepareProposal({
      height: 1n,
      timestamp: chosen[0]!.timestamp,
      proposer: coinbase,
      candidates: listCandidates(chosen[0]!.txs),
    });
    expect(bytesToHex(built.block.hash)).toBe(bytesToHex(block.hash));
    const executions = countExecutions(peer);
    expect(await peer.processProposal(block)).toEqual({ accept: true });
    await peer.finalizeBlock(block);
    await peer.commit();
    expect(executions.count()).toBe(0);
    expect(bytesToHex(peer.head.hash)).toBe(bytesToHex(block.hash));
    expect(peer.stateDB.getAccount(ADDRESSES[0]!)?.nonce).toBe(BigInt(txs.length));
  });

  it("a preview that differs from the proposal (timestamp, transactions) builds another block; the proposal is executed", async () => {
    const proposer = await engine();
    const { block } = await proposer.prepareProposal({
      height: 1n,
      timestamp: 1_700_000_005n,
      proposer: coinbase,
      candidates: listCandidates(txs),
    });
    for (const variant of [
      { timestamp: 1_700_000_006n, list: txs },
      { timestamp: 1_700_000_005n, list: txs.slice(0, 5) },
    ]) {
      const peer = await engine();
      const built = await peer.prepareProposal({
        height: 1n,
        timestamp: variant.timestamp,
        proposer: coinbase,
        candidates: listCandidates(variant.list),
      });
      expect(bytesToHex(built.block.hash)).not.toBe(bytesToHex(block.hash));
      const executions = countExecutions(peer);
      expect(await peer.processProposal(block)).toEqual({ accept: true });
      await peer.finalizeBlock(block);
      await peer.commit();
      expect(executions.count()).toBe(1);
      expect(bytesToHex(peer.head.hash)).toBe(bytesToHex(block.hash));
      expect(peer.stateDB.getAccount(ADDRESSES[0]!)?.nonce).toBe(BigInt(txs.length));
    }
  });
});
