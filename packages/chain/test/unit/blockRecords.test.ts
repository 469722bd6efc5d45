import { bytesToHex, createSilentLogger, hexToBytes, MemoryStore, privateKeyToAddressBytes } from "@zerog/core";
import { describe, expect, it } from "vitest";
import { decodeBlock, encodeBlock } from "../../src/block/blockCodec.js";
import { misbehaviorCommitment } from "../../src/block/misbehavior.js";
import type { Misbehavior, TxCandidates } from "../../src/execution/engine.js";
import { Execution } from "../../src/execution/execution.js";
import { parseGenesis } from "../../src/execution/genesis.js";
import { recoverSender, type SignedTx } from "../../src/tx/transaction.js";
import { signedTransfer } from "../utils/chainHarness.js";

const key = hexToBytes(`0x${"07".repeat(32)}`);
const sender = privateKeyToAddressBytes(key);
const list = (txs: SignedTx[]): TxCandidates => {
  let i = 0;
  return { peek: () => txs[i], shift: () => void i++, pop: () => void i++ };
};
const mis: Misbehavior = {
  kind: "duplicate-vote",
  validator: new Uint8Array(20).fill(9),
  height: 3n,
  power: 10n,
  totalPower: 40n,
  evidence: Uint8Array.of(1, 2, 3),
};

async function open(): Promise<Execution> {
  const genesis = parseGenesis({
    chainId: 31337,
    timestamp: 1_700_000_000,
    alloc: { [bytesToHex(sender)]: { balance: "1000000000000000000" } },
  });
  const ex = new Execution({}, { db: new MemoryStore(), genesis, logger: createSilentLogger(), metrics: null });
  await ex.init();
  return ex;
}

describe("blocks carry misbehaviour and commits", () => {
  it("commits to misbehaviour in extraData, stores it and the decision's commit, and survives the wire codec", async () => {
    const ex = await open();
    const tx = signedTransfer(key, { nonce: 0n });
    const { block } = await ex.prepareProposal({
      height: 1n,
      timestamp: 1_700_000_001n,
      proposer: new Uint8Array(20),
      candidates: list([tx]),
      misbehavior: [mis],
    });
    expect(block.header.extraData).toEqual(misbehaviorCommitment([mis]));
    // The same block over the wire: decoded, senders recovered, accepted by a second node.
    const decoded = decodeBlock(encodeBlock(block));
    expect(decoded.block.hash).toEqual(block.hash);
    const other = await open();
    const received = { ...decoded.block, txs: decoded.txs.map((t) => Object.assign(t, { sender: recoverSender(t) })) };
    expect(await other.processProposal(received)).toEqual({ accept: true });
    // Dropping or changing the misbehaviour breaks the commitment.
    const third = await open();
    const { misbehavior: _, ...withoutMisbehavior } = received;
    expect(await third.processProposal(withoutMisbehavior)).toEqual({
      accept: false,
      reason: "extraData does not commit to the block's misbehaviour list",
    });
    expect(await third.processProposal({ ...received, misbehavior: [{ ...mis, power: 11n }] })).toEqual({
      accept: false,
      reason: "extraData does not commit to the block's misbehaviour list",
    });
    await ex.finalizeBlock(block, { commit: Uint8Array.of(0xc0, 0xff, 0xee) });
    await ex.commit();
    expect(ex.store.commit(1n)).toEqual(Uint8Array.of(0xc0, 0xff, 0xee));
    expect(ex.store.misbehavior(1n)).toEqual([mis]);
    expect(ex.store.misbehavior(0n)).toEqual([]);
    expect(ex.store.evidenceHeight(mis.evidence)).toBe(1n);
    expect(ex.store.evidenceHeight(Uint8Array.of(9))).toBeUndefined();
  });

  it("refuses undecodable block bytes with a coded error", () => {
    for (const bad of [new Uint8Array(0), Uint8Array.of(0xc0), Uint8Array.of(0xc3, 0x80, 0x80, 0x80), hexToBytes("0xdeadbeef")]) {
      expect(() => decodeBlock(bad)).toThrowError(/undecodable block/);
    }
  });
});
