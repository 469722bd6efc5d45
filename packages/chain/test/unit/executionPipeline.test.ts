import { contracts } from "@zerog/contracts";
import { type BatchOp, bytesToHex, createSilentLogger, hexToBytes, MemoryStore, privateKeyToAddressBytes } from "@zerog/core";
import { decodeFunctionResult, encodeFunctionData } from "viem";
import { describe, expect, it } from "vitest";
import { createAddress } from "../../src/execution/blockExecutor.js";
import type { TxCandidates } from "../../src/execution/engine.js";
import { Execution } from "../../src/execution/execution.js";
import { parseGenesis } from "../../src/execution/genesis.js";
import { simulateCall } from "../../src/execution/simulate.js";
import { type SignedTx, signTx, type UnsignedTx } from "../../src/tx/transaction.js";

/** A store whose writes complete only when the test says so: blocks stay "in flight". */
class GatedStore extends MemoryStore {
  private gates: (() => void)[] = [];
  held = 0;
  override async batch(ops: readonly BatchOp[]): Promise<void> {
    this.held++;
    await new Promise<void>((r) => this.gates.push(r));
    this.held--;
    await super.batch(ops);
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

const key = hexToBytes(`0x${"42".repeat(32)}`);
const sender = privateKeyToAddressBytes(key);
const list = (txs: SignedTx[]): TxCandidates => {
  let i = 0;
  return { peek: () => txs[i], shift: () => void i++, pop: () => void i++ };
};

describe("Execution with block writes in flight", () => {
  it("builds on a block whose write has not finished: code, storage, nonces and BLOCKHASH come from memory", async () => {
    const db = new GatedStore();
    const genesis = parseGenesis({
      chainId: 31337,
      timestamp: 1_700_000_000,
      alloc: { [bytesToHex(sender)]: { balance: "1000000000000000000000" } },
    });
    // Tiny caches and trie budget so every block also drops its caches and reopens its tries.
    const ex = new Execution(
      { state: { maxCacheEntries: 1, maxResidentTrieNodes: 1 } },
      { db, genesis, logger: createSilentLogger(), metrics: null },
    );
    let initialised = false;
    const initP = ex.init().then(() => {
      initialised = true;
    });
    while (!initialised) {
      db.release();
      await new Promise((r) => setImmediate(r));
    }
    await initP;
    let nonce = 0n;
    const tx = (f: Partial<UnsignedTx>) =>
      signTx(
        {
          type: 2,
          chainId: 31337n,
          nonce: nonce++,
          maxPriorityFeePerGas: 1n,
          maxFeePerGas: 10n ** 10n,
          gasLimit: 2_000_000n,
          to: null,
          value: 0n,
          data: new Uint8Array(0),
          accessList: [],
          ...f,
        },
        key,
      );
    const events = createAddress(sender, 0n);
    const mine = async (txs: SignedTx[], ts: bigint) => {
      const { block, rejected } = await ex.prepareProposal({
        height: ex.tip.header.number + 1n,
        timestamp: ts,
        proposer: new Uint8Array(20),
        candidates: list(txs),
      });
      expect(rejected).toEqual([]);
      await ex.finalizeBlock(block);
      return { block, durable: ex.commit() };
    };
    const b1 = await mine([tx({ data: hexToBytes(contracts.TestEvents.bytecode) })], 1_700_000_001n);
    const set = tx({
      to: events,
      data: hexToBytes(encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "setValue", args: [7n] })),
    });
    const b2 = await mine([set], 1_700_000_002n);
    const info = tx({
      to: events,
      data: hexToBytes(encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "setValue", args: [8n] })),
    });
    const b3 = await mine([info], 1_700_000_003n);
    expect(db.held).toBeGreaterThanOrEqual(1);
    // Nothing durable yet: RPC's head is still genesis, the tip is block 3.
    expect(ex.head.header.number).toBe(0n);
    expect(ex.tip.header.number).toBe(3n);
    const call = await simulateCall(
      {
        common: ex.common,
        reader: ex.stateDB,
        header: b3.block.header,
        getBlockHash: () => undefined,
      },
      { to: events, data: hexToBytes(encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "value" })) },
      undefined,
      { gasCap: 10_000_000n },
    );
    expect(decodeFunctionResult({ abi: contracts.TestEvents.abi, functionName: "value", data: bytesToHex(call.exec.returnValue) })).toBe(
      8n,
    );
    const blockInfo = await simulateCall(
      {
        common: ex.common,
        reader: ex.stateDB,
        header: { ...b3.block.header, number: 4n },
        getBlockHash: (n) => (n === 3n ? b3.block.hash : undefined),
      },
      { to: events, data: hexToBytes(encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "getBlockInfo" })) },
      undefined,
      { gasCap: 10_000_000n },
    );
    expect(blockInfo.error).toBeUndefined();
    // Block 2 saw block 1's hash through BLOCKHASH-capable env even though block 1 was not on disk.
    expect(ex.blockEnv(4n, 1_700_000_004n, new Uint8Array(20)).getBlockHash(3n)).toEqual(b3.block.hash);
    expect(ex.blockEnv(4n, 1_700_000_004n, new Uint8Array(20)).getBlockHash(1n)).toEqual(b1.block.hash);
    // Release the writes: everything lands in order, the head catches up, and the state root matches.
    while (db.held > 0 || ex.head.header.number < 3n) {
      db.release();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([b1.durable, b2.durable, b3.durable]);
    expect(ex.head.header.number).toBe(3n);
    expect(bytesToHex(ex.stateDB.root)).toBe(bytesToHex(b3.block.header.stateRoot));
    const reopened = new Execution({}, { db, genesis, logger: createSilentLogger(), metrics: null });
    await reopened.init();
    expect(bytesToHex(reopened.head.hash)).toBe(bytesToHex(b3.block.hash));
    expect(reopened.stateDB.getStorage(events, new Uint8Array(32))).toEqual(Uint8Array.of(8));
  });
});
