import { contracts } from "@zerog/contracts";
import { bytesToHex, hexToBytes } from "@zerog/core";
import { type Address, createPublicClient, encodeFunctionData, getAbiItem, http, toEventSelector, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultChainRPCOptions, RPCContext } from "../../src/rpc/context.js";
import { FilterRegistry, MAX_FILTER_CHANGES, MAX_FILTERS } from "../../src/rpc/filters.js";
import type { SignedTx } from "../../src/tx/transaction.js";
import { ADDRESSES, type ChainHarness, startChainHarness } from "../utils/chainHarness.js";

let h: ChainHarness;
let events: Address;
const EV = contracts.TestEvents.abi;

const setValue = (key: number, v: bigint) =>
  h.sign(key, { to: hexToBytes(events), data: hexToBytes(encodeFunctionData({ abi: EV, functionName: "setValue", args: [v] })) });
const emitMany = (key: number, n: bigint) =>
  h.sign(key, { to: hexToBytes(events), data: hexToBytes(encodeFunctionData({ abi: EV, functionName: "emitMany", args: [n] })) });

type RpcReply = { result?: any; error?: { code: number; message: string } };
async function rpc(method: string, params: unknown[] = []): Promise<RpcReply> {
  const res = await fetch(h.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return res.json() as Promise<RpcReply>;
}
async function ok(method: string, params: unknown[] = []): Promise<any> {
  const { result, error } = await rpc(method, params);
  expect(error, method).toBeUndefined();
  return result;
}

const client = () => createPublicClient({ transport: http(h.url) });
const headHash = () => bytesToHex(h.execution.head.hash);

beforeAll(async () => {
  h = await startChainHarness();
  await h.mine([h.sign(0, { data: hexToBytes(contracts.TestEvents.bytecode), gasLimit: 3_000_000n })]);
  events = bytesToHex(h.execution.store.receipts(1n)![0]!.contractAddress!);
  await h.mine([setValue(0, 1n)]); // block 2: history for eth_getFilterLogs
});
afterAll(async () => h?.close());

describe("log filters", () => {
  it("viem createEventFilter + getFilterChanges sees only new matching logs, once", async () => {
    const c = client();
    const filter = await c.createEventFilter({ address: events, event: getAbiItem({ abi: EV, name: "ValueChanged" }) });
    expect(filter.id).toMatch(/^0x[0-9a-f]{1,32}$/);
    expect(await c.getFilterChanges({ filter })).toEqual([]);
    await h.mine([setValue(1, 2n), emitMany(0, 2n)]);
    await h.mine([setValue(0, 3n)]);
    const changes = await c.getFilterChanges({ filter });
    expect(changes.map((l) => [l.args.oldValue, l.args.newValue])).toEqual([
      [1n, 2n],
      [2n, 3n],
    ]);
    expect(changes[0]!.logIndex).toBe(0);
    expect(await c.getFilterChanges({ filter })).toEqual([]);
    expect(await c.uninstallFilter({ filter })).toBe(true);
  });

  it("eth_getFilterLogs runs the whole query, including history", async () => {
    const c = client();
    const filter = await c.createEventFilter({ address: events, event: getAbiItem({ abi: EV, name: "ValueChanged" }), fromBlock: 1n });
    const logs = await c.getFilterLogs({ filter });
    expect(logs.map((l) => l.args.newValue)).toEqual([1n, 2n, 3n]);
    // The filter's `latest` follows the head.
    await h.mine([setValue(0, 4n)]);
    expect((await c.getFilterLogs({ filter })).map((l) => l.args.newValue)).toEqual([1n, 2n, 3n, 4n]);
    await c.uninstallFilter({ filter });
  });

  it("honours numeric bounds for new blocks and OR-lists of topics", async () => {
    const head = h.execution.head.header.number;
    const id = await ok("eth_newFilter", [
      {
        fromBlock: toHex(head + 2n),
        toBlock: toHex(head + 3n),
        address: [events],
        topics: [[`0x${"00".repeat(32)}`, toEventSelector(getAbiItem({ abi: EV, name: "Ping" }))]],
      },
    ]);
    await h.mine([emitMany(0, 1n)]); // head + 1: before the range
    expect(await ok("eth_getFilterChanges", [id])).toEqual([]);
    await h.mine([emitMany(0, 2n)]); // head + 2
    await h.mine([emitMany(0, 1n)]); // head + 3
    await h.mine([emitMany(0, 1n)]); // head + 4: after the range
    const changes = await ok("eth_getFilterChanges", [id]);
    expect(changes.map((l: any) => BigInt(l.blockNumber))).toEqual([head + 2n, head + 2n, head + 3n]);
    // The full query is cut at the head, not refused.
    expect(await ok("eth_getFilterLogs", [id])).toHaveLength(3);
    expect(await ok("eth_uninstallFilter", [id])).toBe(true);
  });
});

describe("block and pending transaction filters", () => {
  it("eth_newBlockFilter returns the hashes of blocks committed since the last poll", async () => {
    const id = await ok("eth_newBlockFilter");
    expect(await ok("eth_getFilterChanges", [id])).toEqual([]);
    await h.mine([]);
    const first = headHash();
    await h.mine([]);
    expect(await ok("eth_getFilterChanges", [id])).toEqual([first, headHash()]);
    expect(await ok("eth_getFilterChanges", [id])).toEqual([]);
    const logs = await rpc("eth_getFilterLogs", [id]);
    expect(logs.error).toEqual({ code: -32000, message: "filter not found" });
    expect(await ok("eth_uninstallFilter", [id])).toBe(true);
  });

  it("eth_newPendingTransactionFilter returns hashes (or full transactions) submitted since the last poll", async () => {
    const hashes = await ok("eth_newPendingTransactionFilter");
    const full = await ok("eth_newPendingTransactionFilter", [true]);
    const tx = setValue(2, 9n);
    const sent = await ok("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
    expect(sent).toBe(bytesToHex(tx.hash));
    expect(await ok("eth_getFilterChanges", [hashes])).toEqual([sent]);
    const [obj] = await ok("eth_getFilterChanges", [full]);
    expect(obj).toMatchObject({ hash: sent, from: bytesToHex(ADDRESSES[2]!), blockHash: null, to: events });
    expect(await ok("eth_getFilterChanges", [hashes])).toEqual([]);
    await h.mine();
    await ok("eth_uninstallFilter", [hashes]);
    await ok("eth_uninstallFilter", [full]);
  });

  it("uninstall answers true then false, and unknown ids are -32000 filter not found", async () => {
    const id = await ok("eth_newBlockFilter");
    expect(await ok("eth_uninstallFilter", [id])).toBe(true);
    expect(await ok("eth_uninstallFilter", [id])).toBe(false);
    for (const method of ["eth_getFilterChanges", "eth_getFilterLogs"]) {
      expect((await rpc(method, [id])).error).toEqual({ code: -32000, message: "filter not found" });
      expect((await rpc(method, ["0x1234"])).error).toEqual({ code: -32000, message: "filter not found" });
    }
  });
});

describe("FilterRegistry", () => {
  const ctxWith = (filterTimeoutMs: number) =>
    new RPCContext(
      { ...defaultChainRPCOptions, filterTimeoutMs },
      { execution: h.execution, pool: h.pool, submitRawTx: async () => new Uint8Array(32), peerCount: () => 0, syncing: () => false },
    );

  it("removes filters not polled within the timeout; polling keeps them", () => {
    let now = 1_000_000;
    const reg = new FilterRegistry(ctxWith(60_000), () => now);
    const polled = reg.newBlockFilter();
    const idle = reg.newLogFilter({ addresses: [], topics: [] });
    now += 59_000;
    reg.changes(polled);
    now += 1_000;
    reg.expire();
    expect(() => reg.changes(idle)).toThrow(/filter not found/);
    expect(reg.changes(polled)).toEqual([]);
    now += 60_000;
    reg.expire();
    expect(reg.size).toBe(0);
  });

  it("bounds buffered changes per filter (oldest dropped) and the number of filters", () => {
    const reg = new FilterRegistry(ctxWith(60_000));
    const id = reg.newPendingTxFilter(false);
    const fake = (i: number) => ({ hash: hexToBytes(toHex(i, { size: 32 })) }) as SignedTx;
    for (let i = 0; i < MAX_FILTER_CHANGES + 5; i++) reg.onPendingTx(fake(i));
    const changes = reg.changes(id);
    expect(changes).toHaveLength(MAX_FILTER_CHANGES);
    expect(changes[0]).toBe(toHex(5, { size: 32 }));
    for (let i = 1; i < MAX_FILTERS; i++) reg.newBlockFilter();
    expect(() => reg.newBlockFilter()).toThrow(/too many filters/);
    expect(reg.uninstall(id)).toBe(true);
    expect(() => reg.newBlockFilter()).not.toThrow();
  });
});
