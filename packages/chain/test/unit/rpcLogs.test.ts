import { contracts } from "@zerog/contracts";
import { bytesToHex, hexToBytes } from "@zerog/core";
import {
  type Address,
  createPublicClient,
  encodeDeployData,
  encodeFunctionData,
  getAbiItem,
  getAddress,
  type Hex,
  http,
  pad,
  toEventSelector,
  toHex,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADDRESSES, type ChainHarness, startChainHarness } from "../utils/chainHarness.js";

let h: ChainHarness;
let token: Address;
let events: Address;
const A0 = bytesToHex(ADDRESSES[0]!);
const A1 = bytesToHex(ADDRESSES[1]!);
const A2 = bytesToHex(ADDRESSES[2]!);
const EV = contracts.TestEvents.abi;
const TOK = contracts.TestToken.abi;
const VALUE_CHANGED = toEventSelector(getAbiItem({ abi: EV, name: "ValueChanged" }));
const PING = toEventSelector(getAbiItem({ abi: EV, name: "Ping" }));
const TRANSFER = toEventSelector(getAbiItem({ abi: TOK, name: "Transfer" }));

const callEvents = (key: number, data: Hex, gasLimit = 1_000_000n) =>
  h.sign(key, { to: hexToBytes(events), data: hexToBytes(data), gasLimit });
const callToken = (key: number, data: Hex) => h.sign(key, { to: hexToBytes(token), data: hexToBytes(data) });
const setValue = (key: number, v: bigint) => callEvents(key, encodeFunctionData({ abi: EV, functionName: "setValue", args: [v] }));
const emitMany = (key: number, n: bigint, gas?: bigint) =>
  callEvents(key, encodeFunctionData({ abi: EV, functionName: "emitMany", args: [n] }), gas);
const transfer = (key: number, to: Address, v: bigint) =>
  callToken(key, encodeFunctionData({ abi: TOK, functionName: "transfer", args: [to, v] }));

async function rpc(method: string, params: unknown[]): Promise<{ result?: any; error?: { code: number; message: string } }> {
  const res = await fetch(h.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return res.json() as Promise<{ result?: any; error?: { code: number; message: string } }>;
}

/** Every log of blocks 0..head, from eth_getBlockReceipts: what eth_getLogs must agree with. */
async function allLogs(): Promise<any[]> {
  const out: any[] = [];
  for (let n = 0n; n <= h.execution.head.header.number; n++) {
    const { result } = await rpc("eth_getBlockReceipts", [toHex(n)]);
    for (const r of result) out.push(...r.logs);
  }
  return out;
}

const client = () => createPublicClient({ transport: http(h.url) });

beforeAll(async () => {
  h = await startChainHarness();
  const deployToken = h.sign(0, {
    data: hexToBytes(encodeDeployData({ abi: TOK, bytecode: contracts.TestToken.bytecode, args: ["Tok", "TOK", 10n ** 24n] })),
    gasLimit: 3_000_000n,
  });
  const deployEvents = h.sign(0, { data: hexToBytes(contracts.TestEvents.bytecode), gasLimit: 3_000_000n });
  await h.mine([deployToken, deployEvents]);
  const receipts = h.execution.store.receipts(1n)!;
  token = bytesToHex(receipts[0]!.contractAddress!);
  events = bytesToHex(receipts[1]!.contractAddress!);
  // Block 2: ValueChanged by A0, Transfer A0 -> A1.
  await h.mine([setValue(0, 1n), transfer(0, A1, 5n)]);
  // Block 3: three Pings, then ValueChanged by A1 (block-wide logIndex 3).
  await h.mine([emitMany(1, 3n), setValue(1, 2n)]);
  // Block 4: the anonymous event (one topic: the sender), Transfer A0 -> A2.
  await h.mine([callEvents(0, encodeFunctionData({ abi: EV, functionName: "emitAnonymous" })), transfer(0, A2, 7n)]);
  // Block 5: no logs.
  await h.mine([]);
});
afterAll(async () => h?.close());

describe("eth_getLogs", () => {
  it("filters by address and returns logs in (block, logIndex) order with full positions", async () => {
    const logs = await client().getLogs({ address: events, fromBlock: 0n, toBlock: "latest" });
    expect(logs.map((l) => [l.blockNumber, l.logIndex])).toEqual([
      [2n, 0],
      [3n, 0],
      [3n, 1],
      [3n, 2],
      [3n, 3],
      [4n, 0],
    ]);
    const b3 = h.execution.store.blockByNumber(3n)!;
    const vc = logs[4]!;
    expect(vc.topics[0]).toBe(VALUE_CHANGED);
    expect(vc.blockHash).toBe(bytesToHex(b3.hash));
    expect(vc.transactionHash).toBe(bytesToHex(b3.txHashes[1]!));
    expect(vc.transactionIndex).toBe(1);
    const raw = await rpc("eth_getLogs", [{ address: events, fromBlock: "0x3", toBlock: "0x3" }]);
    expect(raw.result[3].blockTimestamp).toBe(toHex(b3.header.timestamp));
    expect(raw.result[3].removed).toBe(false);
  });

  it("agrees with the receipts for address lists, topic OR-lists, wildcards and anonymous events", async () => {
    const all = await allLogs();
    const cases: { filter: Record<string, unknown>; keep: (l: any) => boolean }[] = [
      { filter: {}, keep: () => true },
      { filter: { address: [token, events] }, keep: () => true },
      { filter: { address: token }, keep: (l) => l.address === token },
      { filter: { topics: [[VALUE_CHANGED, PING]] }, keep: (l) => [VALUE_CHANGED, PING].includes(l.topics[0]) },
      { filter: { topics: [null, pad(A0)] }, keep: (l) => l.topics.length >= 2 && l.topics[1] === pad(A0) },
      { filter: { topics: [TRANSFER, null, [pad(A1), pad(A2)]] }, keep: (l) => l.topics[0] === TRANSFER && l.topics[2] !== pad(A0) },
      // The anonymous event's only topic is its indexed sender.
      { filter: { address: events, topics: [pad(A0)] }, keep: (l) => l.address === events && l.topics[0] === pad(A0) },
      // A log with fewer topics than the filter has positions never matches, even with a wildcard there.
      { filter: { address: events, topics: [pad(A0), null] }, keep: () => false },
      { filter: { topics: [[]] }, keep: (l) => l.topics.length >= 1 },
    ];
    for (const { filter, keep } of cases) {
      const { result, error } = await rpc("eth_getLogs", [{ fromBlock: "earliest", ...filter }]);
      expect(error, JSON.stringify(filter)).toBeUndefined();
      expect(result, JSON.stringify(filter)).toEqual(all.filter(keep));
    }
    expect(all.filter((l) => l.topics.length === 1 && l.address === events)).toHaveLength(1);
  });

  it("filters by decoded event arguments and by OR over events with viem", async () => {
    const c = client();
    const byA1 = await c.getLogs({
      address: events,
      event: getAbiItem({ abi: EV, name: "ValueChanged" }),
      args: { by: A1 },
      fromBlock: 1n,
    });
    expect(byA1).toHaveLength(1);
    expect(byA1[0]!.args).toEqual({ by: getAddress(A1), oldValue: 1n, newValue: 2n });
    const either = await c.getLogs({
      address: events,
      events: [getAbiItem({ abi: EV, name: "ValueChanged" }), getAbiItem({ abi: EV, name: "Ping" })],
      fromBlock: 1n,
    });
    expect(either.map((l) => l.eventName)).toEqual(["ValueChanged", "Ping", "Ping", "Ping", "ValueChanged"]);
    const transfers = await c.getContractEvents({ address: token, abi: TOK, eventName: "Transfer", args: { to: [A1, A2] }, fromBlock: 0n });
    expect(transfers.map((l) => l.args.value)).toEqual([5n, 7n]);
  });

  it("filters by block hash", async () => {
    const b3 = h.execution.store.blockByNumber(3n)!;
    const logs = await client().getLogs({ blockHash: bytesToHex(b3.hash) });
    expect(logs).toHaveLength(4);
    expect(logs.every((l) => l.blockNumber === 3n)).toBe(true);
    expect(logs.map((l) => l.logIndex)).toEqual([0, 1, 2, 3]);
    const empty = await rpc("eth_getLogs", [{ blockHash: bytesToHex(h.execution.store.blockByNumber(5n)!.hash) }]);
    expect(empty.result).toEqual([]);
  });

  it("defaults the range to the latest block and accepts tags", async () => {
    expect((await rpc("eth_getLogs", [{}])).result).toEqual([]); // block 5 has none
    const latest4 = await rpc("eth_getLogs", [{ fromBlock: "0x4", toBlock: "finalized" }]);
    expect(latest4.result).toHaveLength(2);
    expect((await rpc("eth_getLogs", [{ fromBlock: "earliest", toBlock: "earliest" }])).result).toEqual([]);
  });

  it("rejects invalid filters with geth's messages", async () => {
    const expectError = async (filter: unknown, code: number, message: RegExp) => {
      const { error } = await rpc("eth_getLogs", [filter]);
      expect(error?.code, JSON.stringify(filter).slice(0, 80)).toBe(code);
      expect(error?.message).toMatch(message);
    };
    const t = pad("0x01");
    await expectError({ fromBlock: "0x3", toBlock: "0x2" }, -32602, /^invalid block range params$/);
    await expectError({ fromBlock: "0x5", toBlock: "0x4" }, -32602, /^invalid block range params$/);
    await expectError({ fromBlock: "0x6" }, -32602, /^invalid block range params$/); // from beyond latest
    await expectError({ fromBlock: "0x1", toBlock: "0x9" }, -32602, /block range extends beyond current head block/);
    const b3 = bytesToHex(h.execution.store.blockByNumber(3n)!.hash);
    await expectError({ blockHash: b3, fromBlock: "0x1" }, -32602, /cannot specify both BlockHash and FromBlock\/ToBlock/);
    await expectError({ topics: [t, t, t, t, t] }, -32602, /exceed max topics/);
    await expectError({ topics: [Array(1001).fill(t)] }, -32602, /exceed max topics/);
    await expectError({ address: Array(1001).fill(events) }, -32602, /exceed max addresses/);
    await expectError({ topics: ["0x1234"] }, -32602, /topics\[0\]/);
    await expectError({ blockHash: pad("0xdead") }, -32000, /^unknown block$/);
    // The limits themselves are fine.
    expect((await rpc("eth_getLogs", [{ topics: [t, t, t, t], address: Array(1000).fill(events) }])).result).toEqual([]);
  });

  it("caps the block range with -32005", async () => {
    const { error } = await rpc("eth_getLogs", [{ fromBlock: "0x0", toBlock: toHex(10_000) }]);
    expect(error).toEqual({ code: -32005, message: "query exceeds max block range 10000" });
  });

  it("caps the result count with -32005 and lets a narrower query through", async () => {
    // 10,001 Pings in one block (two transactions).
    const height = await h.mine([emitMany(2, 5001n, 25_000_000n), emitMany(3, 5000n, 25_000_000n)]);
    expect(h.execution.store.receipts(height)!.every((r) => r.status === 1)).toBe(true);
    const { error } = await rpc("eth_getLogs", [{ fromBlock: toHex(height), toBlock: toHex(height) }]);
    expect(error).toEqual({ code: -32005, message: "query returned more than 10000 results; narrow the block range" });
    // Ping(uint256 indexed i, ...): i = 0 and 5000 occur in the first transaction, 0 in the second.
    const narrowed = await client().getLogs({
      address: events,
      event: getAbiItem({ abi: EV, name: "Ping" }),
      args: { i: [0n, 5000n] },
      fromBlock: BigInt(height),
      toBlock: BigInt(height),
    });
    expect(narrowed.map((l) => [l.transactionIndex, l.args.i, l.logIndex])).toEqual([
      [0, 0n, 0],
      [0, 5000n, 5000],
      [1, 0n, 5001],
    ]);
  });
});
