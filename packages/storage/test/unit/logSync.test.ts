import { bytesToHex, createSilentLogger, type Hex, keccak256 } from "@zerog/core";
import { encodeAbiParameters, encodeEventTopics, parseAbiParameters } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { MetaStore } from "../../src/flow/metaStore.js";
import { type RawLog, submitEvent } from "../../src/flow/transaction.js";
import type { BlockRef, ChainReader } from "../../src/sync/chainReader.js";
import { LogSync } from "../../src/sync/logSync.js";
import { FakeFlow, makeFile, makeStore, type StoreFixture, type TestFile } from "../fixtures.js";

const FLOW: Hex = "0x0000000000000000000000000000000000005000";

/** A chain of blocks whose hashes depend on a fork label, with Submit logs placed at chosen heights. */
class FakeChain implements ChainReader {
  blocks: BlockRef[] = [];
  logsAt = new Map<number, RawLog[]>();
  getLogsCalls: [number, number][] = [];

  extend(n: number, fork: string): void {
    for (let i = 0; i < n; i++) {
      const number = this.blocks.length;
      const parentHash = number === 0 ? (`0x${"00".repeat(32)}` as Hex) : this.blocks[number - 1]!.hash;
      this.blocks.push({ number, parentHash, hash: bytesToHex(keccak256(new TextEncoder().encode(`${fork}:${number}:${parentHash}`))) });
    }
  }

  truncate(n: number): void {
    this.blocks.length = n;
    for (const k of [...this.logsAt.keys()]) if (k >= n) this.logsAt.delete(k);
  }

  addSubmit(block: number, seq: number, startPos: number, file: TestFile): void {
    const b = this.blocks[block]!;
    const nodes = file.digest.nodes.map((n) => ({ root: bytesToHex(n.root), height: BigInt(n.height) }));
    const data = encodeAbiParameters(
      parseAbiParameters("uint256, uint256, uint256, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes)"),
      [BigInt(seq), BigInt(startPos), BigInt(file.data.length), { length: BigInt(file.data.length), tags: "0x", nodes }],
    );
    const topics = encodeEventTopics({
      abi: [submitEvent],
      eventName: "Submit",
      args: { sender: FLOW, identity: `0x${"ab".repeat(32)}` },
    }) as Hex[];
    const list = this.logsAt.get(block) ?? [];
    list.push({
      address: FLOW,
      topics,
      data,
      blockNumber: `0x${block.toString(16)}`,
      blockHash: b.hash,
      logIndex: `0x${list.length.toString(16)}`,
    });
    this.logsAt.set(block, list);
  }

  async chainId() {
    return 31337;
  }
  async blockNumber() {
    return this.blocks.length - 1;
  }
  async block(n: number) {
    return this.blocks[n] ?? null;
  }
  async logs(p: { fromBlock: number; toBlock: number }) {
    this.getLogsCalls.push([p.fromBlock, p.toBlock]);
    const out: RawLog[] = [];
    for (let b = p.fromBlock; b <= p.toBlock; b++) out.push(...(this.logsAt.get(b) ?? []));
    return out;
  }
  async systemContracts() {
    return { Flow: FLOW };
  }
}

let fx: StoreFixture | null = null;
afterEach(() => {
  fx?.cleanup();
  fx = null;
});

function makeSync(chain: FakeChain, f: StoreFixture, opts: Partial<LogSync["options"]> = {}) {
  return new LogSync(
    { startBlock: 0, confirmations: 0, pageSize: 999, pollIntervalMs: 10, ...opts },
    { chain, store: f.store, meta: new MetaStore(f.db), flowAddress: FLOW, logger: createSilentLogger(), metrics: null },
  );
}

async function drain(sync: LogSync): Promise<void> {
  for (let i = 0; i < 100 && (await sync.pollOnce()); i++);
}

describe("LogSync", () => {
  it("applies Submit logs in pages and honours confirmations", async () => {
    fx = makeStore();
    const chain = new FakeChain();
    chain.extend(2500, "a");
    const flow = new FakeFlow();
    const files = [makeFile(1000, 1), makeFile(300_000, 2), makeFile(5000, 3)];
    for (const [i, block] of [10, 1500, 2497].entries()) chain.addSubmit(block, i, flow.submit(files[i]!).startEntryIndex, files[i]!);
    const sync = makeSync(chain, fx, { confirmations: 3 });
    await drain(sync);
    expect(chain.getLogsCalls).toEqual([
      [0, 998],
      [999, 1997],
      [1998, 2496],
    ]);
    expect(fx.store.nextTxSeq).toBe(2);
    chain.extend(1, "a");
    await drain(sync);
    expect(fx.store.nextTxSeq).toBe(3);
    expect(fx.store.getTx(1)!.dataMerkleRoot).toEqual(files[1]!.root);
    expect(sync.status()).toMatchObject({ syncedBlock: 2497, nextTxSeq: 3, caughtUp: true });
  });

  it("detects a reorg by parent hash, reverts the txs after the fork point and applies the new branch", async () => {
    fx = makeStore();
    const chain = new FakeChain();
    chain.extend(20, "a");
    const flow = new FakeFlow();
    const a = makeFile(1000, 1);
    const b = makeFile(2000, 2);
    chain.addSubmit(5, 0, flow.submit(a).startEntryIndex, a);
    chain.addSubmit(15, 1, flow.submit(b).startEntryIndex, b);
    const sync = makeSync(chain, fx);
    await drain(sync);
    expect(fx.store.nextTxSeq).toBe(2);
    // Blocks from 12 on are replaced; on the new branch another file is submission 1.
    chain.truncate(12);
    chain.extend(10, "b");
    const flow2 = new FakeFlow();
    flow2.submit(a);
    const c = makeFile(7000, 3);
    chain.addSubmit(13, 1, flow2.submit(c).startEntryIndex, c);
    await drain(sync);
    expect(sync.status().reorgs).toBe(1);
    expect(fx.store.nextTxSeq).toBe(2);
    expect(fx.store.getTx(1)!.dataMerkleRoot).toEqual(c.root);
    expect(fx.store.txByRoot(b.root, false)).toBeUndefined();
    expect(sync.status()).toMatchObject({ syncedBlock: 21, syncedBlockHash: chain.blocks[21]!.hash });
  });

  it("resumes from its stored progress without applying a tx twice", async () => {
    fx = makeStore();
    const chain = new FakeChain();
    chain.extend(10, "a");
    const flow = new FakeFlow();
    const a = makeFile(1000, 1);
    chain.addSubmit(3, 0, flow.submit(a).startEntryIndex, a);
    await drain(makeSync(chain, fx));
    fx.reopen();
    chain.extend(5, "a");
    const b = makeFile(500, 4);
    chain.addSubmit(12, 1, flow.submit(b).startEntryIndex, b);
    const sync = makeSync(chain, fx);
    expect(sync.status().nextBlock).toBe(10);
    await drain(sync);
    expect(fx.store.nextTxSeq).toBe(2);
  });
});
