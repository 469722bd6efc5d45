import { contracts } from "@zerog/contracts";
import { bytesToHex, createSilentLogger, hexToBytes, JsonRpcServer } from "@zerog/core";
import { WebSocketProvider } from "ethers";
import {
  type Address,
  createPublicClient,
  encodeFunctionData,
  type Hex,
  type PublicClient,
  type WebSocketTransport,
  webSocket,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { defaultChainRPCOptions, RPCContext } from "../../src/rpc/context.js";
import { registerSubscriptionMethods, SubscriptionHub } from "../../src/rpc/subscriptions.js";
import { ADDRESSES, type ChainHarness, startChainHarness } from "../utils/chainHarness.js";

let h: ChainHarness;
let events: Address;
let ws: PublicClient<WebSocketTransport>;
const EV = contracts.TestEvents.abi;

const setValue = (key: number, v: bigint) =>
  h.sign(key, { to: hexToBytes(events), data: hexToBytes(encodeFunctionData({ abi: EV, functionName: "setValue", args: [v] })) });

async function httpRpc(method: string, params: unknown[]): Promise<{ result?: any; error?: { code: number; message: string } }> {
  const res = await fetch(h.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return res.json() as Promise<{ result?: any; error?: { code: number; message: string } }>;
}

/** Resolves once viem's socket holds `n` confirmed subscriptions (it records one when eth_subscribe answers). */
async function viemSubscriptions(n: number): Promise<void> {
  const client = await ws.transport.getRpcClient();
  while (client.subscriptions.size < n) {
    await new Promise<void>((resolve) => client.socket.addEventListener("message", () => setImmediate(resolve), { once: true }));
  }
}
const viemSubscriptionCount = async () => (await ws.transport.getRpcClient()).subscriptions.size;

/** A raw WebSocket JSON-RPC client that records notifications. */
async function rawClient(url: string) {
  const sock = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    sock.once("open", () => resolve());
    sock.once("error", reject);
  });
  let nextId = 1;
  const waiting = new Map<number, (msg: any) => void>();
  const notes: any[] = [];
  const noteWaiters: (() => void)[] = [];
  sock.on("message", (data) => {
    const msg = JSON.parse(String(data));
    if (msg.method === "eth_subscription") {
      notes.push(msg.params);
      for (const w of noteWaiters.splice(0)) w();
    } else waiting.get(msg.id)?.(msg);
  });
  return {
    sock,
    notes,
    call(method: string, params: unknown[] = []): Promise<any> {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        sock.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
      });
    },
    async notesAtLeast(n: number): Promise<any[]> {
      while (notes.length < n) await new Promise<void>((resolve) => noteWaiters.push(resolve));
      return notes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (sock.readyState === sock.CLOSED) return resolve();
        sock.once("close", () => resolve());
        sock.close();
      }),
  };
}

beforeAll(async () => {
  h = await startChainHarness();
  await h.mine([h.sign(0, { data: hexToBytes(contracts.TestEvents.bytecode), gasLimit: 3_000_000n })]);
  events = bytesToHex(h.execution.store.receipts(1n)![0]!.contractAddress!);
  ws = createPublicClient({ transport: webSocket(h.server.wsUrl, { keepAlive: false, reconnect: false }) });
});
afterAll(async () => {
  if (ws) (await ws.transport.getRpcClient()).close();
  await h?.close();
});

describe("eth_subscribe", () => {
  it("is refused over HTTP", async () => {
    expect((await httpRpc("eth_subscribe", ["newHeads"])).error).toEqual({ code: -32601, message: "notifications not supported" });
    expect((await httpRpc("eth_unsubscribe", ["0x1"])).error?.message).toBe("notifications not supported");
  });

  it("viem watchBlocks receives the blocks mined after subscribing", async () => {
    const start = h.execution.head.header.number;
    const got: bigint[] = [];
    let done!: () => void;
    const two = new Promise<void>((resolve) => {
      done = resolve;
    });
    const target = (await viemSubscriptionCount()) + 1;
    const unwatch = ws.watchBlocks({
      onBlock: (b) => {
        got.push(b.number);
        if (got.length === 2) done();
      },
    });
    await viemSubscriptions(target);
    await h.mine([]);
    await h.mine([]);
    await two;
    unwatch();
    expect(got).toEqual([start + 1n, start + 2n]);
  });

  it("newHeads carries the header fields geth sends, without the body", async () => {
    const c = await rawClient(h.server.wsUrl);
    const { result: id } = await c.call("eth_subscribe", ["newHeads"]);
    expect(id).toMatch(/^0x[0-9a-f]{1,32}$/);
    await h.mine([]);
    const [note] = await c.notesAtLeast(1);
    expect(note.subscription).toBe(id);
    const head = h.execution.head;
    expect(note.result).toMatchObject({
      number: `0x${head.header.number.toString(16)}`,
      hash: bytesToHex(head.hash),
      parentHash: bytesToHex(head.header.parentHash),
      logsBloom: bytesToHex(head.header.logsBloom),
      baseFeePerGas: `0x${head.header.baseFeePerGas.toString(16)}`,
    });
    for (const k of ["transactions", "uncles", "size", "totalDifficulty", "withdrawals"]) expect(note.result).not.toHaveProperty(k);
    expect((await c.call("eth_unsubscribe", [id])).result).toBe(true);
    expect((await c.call("eth_unsubscribe", [id])).result).toBe(false);
    expect((await c.call("eth_subscribe", ["syncing2"])).error).toEqual({
      code: -32601,
      message: 'no "syncing2" subscription in eth namespace',
    });
    expect((await c.call("eth_subscribe", ["logs", { topics: [null, null, null, null, null] }])).error).toEqual({
      code: -32602,
      message: "invalid argument 1: exceed max topics",
    });
    await c.close();
  });

  it("viem watchContractEvent receives only logs from blocks committed after subscribing", async () => {
    await h.mine([setValue(0, 1n)]); // before: must not be delivered
    const got: { value: bigint | undefined; block: bigint | null }[] = [];
    let done!: () => void;
    const two = new Promise<void>((resolve) => {
      done = resolve;
    });
    const target = (await viemSubscriptionCount()) + 1;
    const unwatch = ws.watchContractEvent({
      address: events,
      abi: EV,
      eventName: "ValueChanged",
      onLogs: (logs) => {
        for (const l of logs) got.push({ value: l.args.newValue, block: l.blockNumber });
        if (got.length >= 2) done();
      },
    });
    await viemSubscriptions(target);
    const b1 = await h.mine([setValue(0, 2n)]);
    // Another event of the contract in between must be filtered out by topic.
    await h.mine([
      h.sign(0, { to: hexToBytes(events), data: hexToBytes(encodeFunctionData({ abi: EV, functionName: "emitMany", args: [2n] })) }),
    ]);
    const b3 = await h.mine([setValue(1, 3n)]);
    await two;
    unwatch();
    expect(got).toEqual([
      { value: 2n, block: b1 },
      { value: 3n, block: b3 },
    ]);
  });

  it("newPendingTransactions sends hashes, or full transactions when asked", async () => {
    const hashes: Hex[] = [];
    let done!: () => void;
    const one = new Promise<void>((resolve) => {
      done = resolve;
    });
    const target = (await viemSubscriptionCount()) + 1;
    const unwatch = ws.watchPendingTransactions({
      onTransactions: (txs) => {
        hashes.push(...txs);
        done();
      },
    });
    await viemSubscriptions(target);
    const raw = await rawClient(h.server.wsUrl);
    const { result: fullId } = await raw.call("eth_subscribe", ["newPendingTransactions", true]);
    const tx = setValue(2, 7n);
    const sent = await httpRpc("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
    expect(sent.result).toBe(bytesToHex(tx.hash));
    await one;
    const [note] = await raw.notesAtLeast(1);
    unwatch();
    expect(hashes).toEqual([bytesToHex(tx.hash)]);
    expect(note.subscription).toBe(fullId);
    expect(note.result).toMatchObject({ hash: bytesToHex(tx.hash), from: bytesToHex(ADDRESSES[2]!), blockHash: null, to: events });
    await raw.close();
    await h.mine();
  });

  it("ethers WebSocketProvider on('block') fires for new blocks", async () => {
    const provider = new WebSocketProvider(h.server.wsUrl);
    try {
      const registered = new Promise<void>((resolve) => {
        const register = provider._register.bind(provider);
        provider._register = (id, sub) => {
          register(id, sub);
          resolve();
        };
      });
      const seen = new Promise<number>((resolve) => void provider.on("block", (n: number) => resolve(n)));
      await registered;
      const height = await h.mine([]);
      expect(await seen).toBe(Number(height));
    } finally {
      await provider.destroy();
    }
  });
});

describe("subscription lifetime", () => {
  it("closing a socket removes its subscriptions; other connections keep theirs", async () => {
    const logger = createSilentLogger();
    const server = new JsonRpcServer({ port: 0 }, { logger, metrics: null });
    const ctx = new RPCContext(defaultChainRPCOptions, {
      execution: h.execution,
      pool: h.pool,
      submitRawTx: async () => new Uint8Array(32),
      peerCount: () => 0,
      syncing: () => false,
    });
    const hub = new SubscriptionHub();
    const dispose = registerSubscriptionMethods(server, ctx, hub);
    // Lets the test await the server noticing a close: onClose callbacks run in registration order.
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => {
      closed = resolve;
    });
    server.register("test_watchClose", {
      params: [],
      handler: (_p, rctx) => {
        rctx.connection?.onClose(() => closed());
        return true;
      },
    });
    await server.start();
    try {
      const a = await rawClient(server.wsUrl);
      const b = await rawClient(server.wsUrl);
      await a.call("eth_subscribe", ["newHeads"]);
      await a.call("eth_subscribe", ["logs", { address: events }]);
      await a.call("eth_subscribe", ["newPendingTransactions"]);
      const { result: kept } = await b.call("eth_subscribe", ["newHeads"]);
      expect(hub.size).toBe(4);
      await a.call("test_watchClose");
      await a.close();
      await serverSawClose;
      expect(hub.size).toBe(1);
      await h.mine([setValue(0, 11n)]);
      const [note] = await b.notesAtLeast(1);
      expect(note.subscription).toBe(kept);
      expect(a.notes).toEqual([]);
      await b.close();
    } finally {
      dispose();
      await server.stop();
    }
  });

  it("holds notifications back until the subscribe answer is out, and unsubscribes only its own ids", async () => {
    const hub = new SubscriptionHub();
    const sent: unknown[] = [];
    const closers: (() => void)[] = [];
    const conn = (id: number) => ({
      id,
      closed: false,
      notify: (_m: string, p: unknown) => sent.push(p),
      onClose: (cb: () => void) => closers.push(cb),
    });
    const c1 = conn(1);
    const id = hub.subscribe(c1, "newPendingTransactions");
    hub.onPendingTx({ hash: new Uint8Array(32).fill(1) } as never);
    expect(sent).toEqual([]);
    expect(hub.unsubscribe(conn(2), id)).toBe(false);
    expect(hub.unsubscribe(c1, id.toUpperCase().replace("0X", "0x"))).toBe(true);
    const kept = hub.subscribe(c1, "newPendingTransactions");
    hub.onPendingTx({ hash: new Uint8Array(32).fill(2) } as never);
    expect(sent).toEqual([]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(sent).toEqual([{ subscription: kept, result: bytesToHex(new Uint8Array(32).fill(2)) }]);
    expect(closers).toHaveLength(1);
    closers[0]!();
    expect(hub.size).toBe(0);
  });
});
