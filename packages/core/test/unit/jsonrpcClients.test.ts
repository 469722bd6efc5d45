import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  createSilentLogger,
  JsonRpcClient,
  JsonRpcErrorCode,
  JsonRpcServer,
  Metrics,
  p,
  type RpcConnection,
  RpcError,
  RpcTransportError,
  WebSocketRpcClient,
} from "../../src/index.js";

const metrics = new Metrics({ defaultMetrics: false });
const server = new JsonRpcServer({ port: 0, maxBodyBytes: 2048, wsMaxPayloadBytes: 2048 }, { logger: createSilentLogger(), metrics });

/** Live subscriptions, as a chain node would keep them. */
const subs = new Map<string, RpcConnection>();
const subsClosed: string[] = [];
let nextSub = 1;
/** Calls parked by the "hang" method until the test releases them. */
const hung: (() => void)[] = [];

function publish(result: unknown): void {
  for (const [id, conn] of subs) conn.notify("eth_subscription", { subscription: id, result });
}

/** Resolves once `pred` holds, checking after every WebSocket subscription close. */
const closeWaiters: (() => void)[] = [];
function whenClosed(pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (pred() ? resolve() : closeWaiters.push(check));
    check();
  });
}

beforeAll(async () => {
  server.register("eth_chainId", { params: [], handler: () => "0x2a" });
  server.register("whoami", { params: [], handler: (_, ctx) => ({ transport: ctx.transport, id: ctx.connection?.id ?? null }) });
  server.register("revert", { params: [], handler: () => Promise.reject(RpcError.executionReverted("0xdead")) });
  server.register("hang", { params: [], handler: () => new Promise<string>((resolve) => hung.push(() => resolve("late"))) });
  server.register("eth_subscribe", {
    params: [p.literal("newHeads", "syncing")],
    handler: ([kind], ctx) => {
      const conn = ctx.connection;
      if (!conn) throw RpcError.fromCode(-32601, "notifications not supported");
      const id = `0x${(nextSub++).toString(16)}`;
      subs.set(id, conn);
      conn.onClose(() => {
        subs.delete(id);
        subsClosed.push(id);
        for (const w of closeWaiters.splice(0)) w();
      });
      // A notification sent before the subscription id goes back: clients must not lose it.
      if (kind === "syncing") conn.notify("eth_subscription", { subscription: id, result: false });
      return id;
    },
  });
  server.register("eth_unsubscribe", { params: [p.string()], handler: ([id]) => subs.delete(id) });
  await server.start();
});

afterAll(async () => {
  for (const release of hung.splice(0)) release();
  await server.stop();
});

/** A raw WebSocket with a queue of parsed incoming messages. */
async function rawSocket(): Promise<{ ws: WebSocket; next: () => Promise<any> }> {
  const ws = new WebSocket(server.wsUrl);
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  ws.on("message", (data) => {
    const m = JSON.parse(String(data));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve)));
  return { ws, next };
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code) => resolve(code)));
}

describe("JsonRpcServer over WebSocket", () => {
  it("answers requests, batches and parse errors on the same port as HTTP", async () => {
    const { ws, next } = await rawSocket();
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "whoami" }));
    const who = await next();
    expect(who).toMatchObject({ id: 1, result: { transport: "ws" } });
    expect(typeof who.result.id).toBe("number");
    ws.send(
      JSON.stringify([
        { jsonrpc: "2.0", id: 2, method: "eth_chainId" },
        { jsonrpc: "2.0", method: "eth_chainId" },
        { jsonrpc: "2.0", id: 3, method: "nope" },
      ]),
    );
    expect(await next()).toEqual([
      { jsonrpc: "2.0", id: 2, result: "0x2a" },
      { jsonrpc: "2.0", id: 3, error: { code: -32601, message: "the method nope does not exist/is not available" } },
    ]);
    ws.send("{oops");
    expect(await next()).toMatchObject({ id: null, error: { code: -32700 } });
    const done = closed(ws);
    ws.close();
    await done;
  });

  it("pushes notifications to a subscriber and cleans up when it disconnects", async () => {
    const { ws, next } = await rawSocket();
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
    const { result: subId } = await next();
    expect(subs.has(subId)).toBe(true);
    publish({ number: "0x1" });
    expect(await next()).toEqual({
      jsonrpc: "2.0",
      method: "eth_subscription",
      params: { subscription: subId, result: { number: "0x1" } },
    });
    const gauge = async () => (await metrics.registry.getSingleMetric("zg_rpc_ws_connections")!.get()).values[0]?.value;
    expect(await gauge()).toBe(1);
    ws.close();
    await whenClosed(() => subsClosed.includes(subId));
    expect(subs.has(subId)).toBe(false);
    expect(await gauge()).toBe(0);
  });

  it("over HTTP, subscriptions are refused (no connection in ctx)", async () => {
    const client = new JsonRpcClient({ url: server.url });
    await expect(client.request("eth_subscribe", ["newHeads"])).rejects.toMatchObject({ rpcCode: -32601 });
    expect(await client.request("whoami")).toEqual({ transport: "http", id: null });
  });

  it("closes a socket that sends a frame over wsMaxPayloadBytes, and keeps serving", async () => {
    const { ws } = await rawSocket();
    const done = closed(ws);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: ["x".repeat(4096)] }));
    expect(await done).toBe(1009);
    const client = new WebSocketRpcClient({ url: server.wsUrl });
    expect(await client.request("eth_chainId")).toBe("0x2a");
    await client.close();
  });

  it("refuses upgrades on other paths", async () => {
    const ws = new WebSocket(`${server.wsUrl}/other`);
    ws.on("error", () => {});
    const status = await new Promise<number | undefined>((resolve) =>
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode)),
    );
    ws.terminate();
    expect(status).toBe(404);
  });
});

describe("JsonRpcClient (HTTP)", () => {
  // Built lazily: the port is known only once beforeAll has started the server.
  let client: JsonRpcClient;
  beforeAll(() => {
    client = new JsonRpcClient({ url: server.url, timeoutMs: 5000 });
  });

  it("returns results and throws RpcError with code and data", async () => {
    expect(await client.request<string>("eth_chainId")).toBe("0x2a");
    const err = await client.request("revert").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ rpcCode: 3, code: JsonRpcErrorCode.EXECUTION_REVERTED, message: "execution reverted", data: "0xdead" });
    await expect(client.request("eth_chainId", ["extra"])).rejects.toMatchObject({
      rpcCode: -32602,
      message: "too many arguments, want at most 0",
    });
  });

  it("batches calls and keeps their order", async () => {
    const out = await client.batch([{ method: "eth_chainId" }, { method: "nope" }, { method: "revert" }, { method: "whoami" }]);
    expect(out[0]).toEqual({ ok: true, result: "0x2a" });
    expect(out[1]).toMatchObject({ ok: false, error: { rpcCode: -32601 } });
    expect(out[2]).toMatchObject({ ok: false, error: { rpcCode: 3, data: "0xdead" } });
    expect(out[3]).toEqual({ ok: true, result: { transport: "http", id: null } });
  });

  it("surfaces 413, timeouts and connection failures as typed errors", async () => {
    await expect(client.request("eth_chainId", ["x".repeat(4096)])).rejects.toMatchObject({
      rpcCode: -32600,
      message: "request body too large (limit 2048 bytes)",
    });
    const slow = client.request("hang", [], { timeoutMs: 50 }).catch((e: unknown) => e);
    const err = await slow;
    expect(err).toBeInstanceOf(RpcTransportError);
    expect(err).toMatchObject({ code: JsonRpcErrorCode.TIMEOUT });
    const gone = new JsonRpcServer({ port: 0 }, { logger: createSilentLogger(), metrics: null });
    await gone.start();
    await gone.stop();
    await expect(new JsonRpcClient({ url: gone.url }).request("eth_chainId")).rejects.toMatchObject({
      code: JsonRpcErrorCode.REQUEST_FAILED,
    });
  });
});

describe("WebSocketRpcClient", () => {
  it("requests, subscribes, receives notifications and unsubscribes", async () => {
    const client = new WebSocketRpcClient({ url: server.wsUrl });
    expect(await client.request("eth_chainId")).toBe("0x2a");
    await expect(client.request("revert")).rejects.toMatchObject({ rpcCode: 3, data: "0xdead" });
    const heads: unknown[] = [];
    let gotHead = (): void => {};
    const sub = await client.subscribe("eth_subscribe", ["newHeads"], (h) => {
      heads.push(h);
      gotHead();
    });
    expect(subs.has(sub.id)).toBe(true);
    const arrived = new Promise<void>((resolve) => {
      gotHead = resolve;
    });
    publish({ number: "0x7" });
    await arrived;
    expect(heads).toEqual([{ number: "0x7" }]);
    expect(await sub.unsubscribe()).toBe(true);
    expect(subs.has(sub.id)).toBe(false);
    expect(await sub.unsubscribe()).toBe(false);
    await client.close();
  });

  it("keeps a notification that arrives before its subscription id", async () => {
    const client = new WebSocketRpcClient({ url: server.wsUrl });
    const got: unknown[] = [];
    await client.subscribe("eth_subscribe", ["syncing"], (r) => got.push(r));
    expect(got).toEqual([false]);
    await client.close();
  });

  it("times out, and fails pending calls when the connection closes", async () => {
    const client = new WebSocketRpcClient({ url: server.wsUrl, timeoutMs: 50 });
    await expect(client.request("hang")).rejects.toMatchObject({ code: JsonRpcErrorCode.TIMEOUT });
    const pending = client.request("hang", [], { timeoutMs: 0 }).catch((e: unknown) => e);
    await client.request("eth_chainId", [], { timeoutMs: 5000 });
    await client.close();
    expect(await pending).toMatchObject({ code: JsonRpcErrorCode.CONNECTION_CLOSED });
    await expect(client.request("eth_chainId")).rejects.toBeInstanceOf(RpcTransportError);
  });

  it("is disconnected by server.stop(), which also limits connections", async () => {
    const s = new JsonRpcServer({ port: 0, maxWsConnections: 1 }, { logger: createSilentLogger(), metrics: null });
    s.register("eth_chainId", { params: [], handler: () => "0x1" });
    await s.start();
    const client = new WebSocketRpcClient({ url: s.wsUrl });
    expect(await client.request("eth_chainId")).toBe("0x1");
    const second = new WebSocketRpcClient({ url: s.wsUrl });
    await expect(second.connect()).rejects.toMatchObject({ code: JsonRpcErrorCode.REQUEST_FAILED });
    const pending = client.request("eth_chainId", ["too many"]).catch((e: unknown) => e);
    expect(await pending).toMatchObject({ rpcCode: -32602 });
    await s.stop();
    await expect(client.request("eth_chainId")).rejects.toMatchObject({ code: JsonRpcErrorCode.CONNECTION_CLOSED });
  });
});
