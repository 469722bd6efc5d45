import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, createSilentLogger, hexToBytes, LMDBStore, privateKeyToAddressBytes } from "@zerog/core";
import { afterEach, describe, expect, it } from "vitest";
import { listCandidates } from "../../src/execution/engine.js";
import { Execution } from "../../src/execution/execution.js";
import { parseGenesis } from "../../src/execution/genesis.js";
import { signedTransfer } from "../utils/chainHarness.js";

const key = hexToBytes(`0x${"11".repeat(32)}`);
const sender = privateKeyToAddressBytes(key);
const genesis = parseGenesis({
  chainId: 31337,
  timestamp: 1_700_000_000,
  alloc: { [bytesToHex(sender)]: { balance: "1000000000000000000000" } },
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(dir: string): Promise<{ ex: Execution; db: LMDBStore }> {
  const db = new LMDBStore({ path: dir });
  const ex = new Execution({}, { db, genesis, logger: createSilentLogger(), metrics: null });
  await ex.init();
  return { ex, db };
}

describe("Execution", () => {
  it("builds, commits and reopens blocks with the same head and state root", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zg-exec-"));
    dirs.push(dir);
    let { ex, db } = await open(dir);
    const to = hexToBytes(`0x${"22".repeat(20)}`);
    for (let b = 0; b < 3; b++) {
      const txs = Array.from({ length: 5 }, (_, i) => signedTransfer(key, { nonce: BigInt(b * 5 + i), to }));
      const height = ex.head.header.number + 1n;
      const { block, rejected } = await ex.prepareProposal({
        height,
        timestamp: 1_700_000_001n,
        proposer: new Uint8Array(20),
        candidates: listCandidates(txs),
      });
      expect(rejected).toEqual([]);
      expect(block.txs.length).toBe(5);
      expect(await ex.processProposal(block)).toEqual({ accept: true });
      await ex.finalizeBlock(block);
      await ex.commit();
    }
    const head = ex.head;
    expect(head.header.number).toBe(3n);
    expect(ex.stateDB.getAccount(to)?.balance).toBe(15n);
    await db.close();
    ({ ex, db } = await open(dir));
    expect(bytesToHex(ex.head.hash)).toBe(bytesToHex(head.hash));
    expect(bytesToHex(ex.stateDB.root)).toBe(bytesToHex(head.header.stateRoot));
    expect(ex.stateDB.getAccount(to)?.balance).toBe(15n);
    expect(ex.stateDB.getAccount(sender)?.nonce).toBe(15n);
    // Historical state through the tries agrees with the flat state at the head.
    expect(ex.stateDB.at(head.header.stateRoot).getAccount(to)?.balance).toBe(15n);
    expect(ex.stateDB.at(ex.store.blockByNumber(1n)!.header.stateRoot).getAccount(to)?.balance).toBe(5n);
    await db.close();
  });

  it("rejects a proposal whose header does not match its execution, and still builds afterwards", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zg-exec-"));
    dirs.push(dir);
    const { ex, db } = await open(dir);
    const tx = signedTransfer(key, { nonce: 0n, to: new Uint8Array(20).fill(3), value: 7n });
    const { block } = await ex.prepareProposal({
      height: 1n,
      timestamp: 1_700_000_001n,
      proposer: new Uint8Array(20),
      candidates: listCandidates([tx]),
    });
    const forged = { ...block, header: { ...block.header, stateRoot: new Uint8Array(32).fill(9) }, hash: new Uint8Array(32).fill(1) };
    const verdict = await ex.processProposal(forged);
    expect(verdict.accept).toBe(false);
    await ex.finalizeBlock(block);
    await ex.commit();
    expect(ex.stateDB.getAccount(new Uint8Array(20).fill(3))?.balance).toBe(7n);
    await db.close();
  });
});
