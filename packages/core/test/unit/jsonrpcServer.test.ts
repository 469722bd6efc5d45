import { Agent, request } from "node:http";
import { connect } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import {
  CoreError,
  CoreErrorCode,
  JsonRpcErrorCode,
  JsonRpcServer,
  JsonRpcServerError,
  Metrics,
  p,
  RawJSON,
  RpcError,
  toQuantity,
} from "../../src/index.js";

const ADDR = `0x${"ab".repeat(20)}`;
const REVERT_DATA = "0x08c379a0";
/** Pre-encoded result: multi-byte UTF-8 so a length counted in characters would be wrong. */
const RAW_VALUE = { a: [1, "é€😀"], b: null, c: "x".repeat(1000) };
const RAW_TEXT = JSON.stringify(RAW_VALUE);

/** Error-level log lines, to check that internal errors are logged with their stack. */
const logged: { msg: string; err?: { stack?: string } }[] = [];
const logger = pino({ level: "error" }, { write: (line: string) => logged.push(JSON.parse(line)) });
const metrics = new Metrics({ defaultMetrics: false });
const server = new JsonRpcServer(
  { port: 0, maxBodyBytes: 4096, maxBatchSize: 5 },
  {
    logger,
    metrics,
    errorMapper: (e) => (e.code === CoreErrorCode.INVALID_HEX ? RpcError.fromCode(-32000, `bad hex: ${e.message}`) : null),
  },
);
let notified = 0;
let sent = 0;

beforeAll(async () => {
  server.register("eth_chainId", { params: [], handler: () => "0x2a" });
  server.register("eth_getBalance", {
    params: [p.address(), p.blockTag()],
    handler: ([address, block]) => toQuantity(BigInt(address.length) + (typeof block === "bigint" ? block : 0n)),
  });
  server.register("add", { params: [p.quantity(), p.optional(p.quantity())], handler: ([a, b]) => toQuantity(a + (b ?? 0n)) });
  server.register("echo", { params: [p.any()], handler: ([x]) => x });
  server.register("nothing", { params: [], handler: () => undefined });
  server.register("notifyMe", { params: [], handler: () => void notified++ });
  server.register("transport", { params: [], handler: (_, ctx) => ctx.transport });
  server.register("revert", { params: [], handler: () => Promise.reject(RpcError.executionReverted(REVERT_DATA, "nope")) });
  server.register("boom", {
    params: [],
    handler: () => {
      throw new TypeError("kaboom");
    },
  });
  server.register("bigint", { params: [], handler: () => 1n });
  server.register("raw", { params: [], handler: () => new RawJSON(Buffer.from(RAW_TEXT)) });
  server.register("rawAsync", { params: [], handler: async () => new RawJSON(new TextEncoder().encode(RAW_TEXT)) });
  server.register("mappedError", {
    params: [],
    handler: () => {
      throw new CoreError({ code: CoreErrorCode.INVALID_HEX, value: "zz" }, "invalid hex: zz");
    },
  });
  server.register("unmappedError", {
    params: [],
    handler: () => {
      throw new CoreError({ code: CoreErrorCode.DB_ERROR, op: "get" });
    },
  });
  server.addRoute("POST", "/upload", (r) => ({ body: `${r.body.length}:${Buffer.from(r.body.subarray(0, 3)).toString()}` }), {
    maxBodyBytes: 1000,
  });
  server.addRoute("POST", "/nobody", (r) => ({ body: String(r.body.length) }));
  server.addRoute("GET", "/pooled", () => ({ body: new Uint8Array(1 << 20).fill(7), onSent: () => void sent++ }));
  server.addRoute("GET", "/metrics", async () => {
    const m = await metrics.render();
    return { contentType: m.contentType, body: m.body };
  });
  await server.start();
});

afterAll(() => server.stop());

function post(body: unknown, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Response> {
  return fetch(server.url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

async function rpc(body: unknown): Promise<any> {
  const res = await post(body);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  return res.json();
}

const req = (id: unknown, method: string, params?: unknown) => ({
  jsonrpc: "2.0",
  id,
  method,
  ...(params === undefined ? {} : { params }),
});

describe("JsonRpcServer over HTTP", () => {
  it("answers single requests, echoing string, number and null ids", async () => {
    expect(await rpc(req(1, "eth_chainId"))).toEqual({ jsonrpc: "2.0", id: 1, result: "0x2a" });
    expect(await rpc(req("a", "eth_chainId", []))).toEqual({ jsonrpc: "2.0", id: "a", result: "0x2a" });
    expect(await rpc(req(null, "eth_chainId", null))).toEqual({ jsonrpc: "2.0", id: null, result: "0x2a" });
    expect(await rpc(req(2, "eth_getBalance", [ADDR, "0x10"]))).toMatchObject({ result: toQuantity(42n + 16n) });
    expect(await rpc(req(3, "nothing"))).toEqual({ jsonrpc: "2.0", id: 3, result: null });
    expect(await rpc(req(4, "transport"))).toMatchObject({ result: "http" });
    expect(server.methods()).toContain("eth_getBalance");
    expect(server.methods()).toEqual([...server.methods()].sort());
  });

  it("validates params with geth's messages", async () => {
    const error = async (method: string, params: unknown) => (await rpc(req(1, method, params))).error;
    expect(await error("eth_getBalance", [ADDR.slice(2), "latest"])).toEqual({
      code: -32602,
      message: "invalid argument 0: hex string without 0x prefix",
    });
    expect((await error("eth_getBalance", [ADDR, "latest", true])).message).toBe("too many arguments, want at most 2");
    expect((await error("eth_getBalance", [ADDR])).message).toBe("missing value for required argument 1");
    expect((await error("eth_getBalance", [ADDR, "0x01"])).message).toBe("invalid argument 1: hex number with leading zero digits");
    expect((await error("add", { a: "0x1" })).code).toBe(-32602);
    expect((await rpc(req(1, "add", ["0x1"]))).result).toBe("0x1");
    expect((await rpc(req(1, "add", ["0x1", null]))).result).toBe("0x1");
    expect((await rpc(req(1, "add", ["0x1", "0x2"]))).result).toBe("0x3");
  });

  it("reports unknown methods, parse errors and invalid requests", async () => {
    expect(await rpc(req(7, "eth_foo"))).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32601, message: "the method eth_foo does not exist/is not available" },
    });
    const parse = await rpc('{"jsonrpc":"2.0","id":1,');
    expect(parse).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
    expect(parse.error.message).toMatch(/^parse error/);
    const invalid = [
      [1, null],
      ['"x"', null],
      [{ id: 1, method: "eth_chainId" }, 1],
      [{ jsonrpc: "1.0", id: 2, method: "eth_chainId" }, 2],
      [{ jsonrpc: "2.0", id: 3, method: 5 }, 3],
      [{ jsonrpc: "2.0", method: 5 }, null],
      [{ jsonrpc: "2.0", id: { a: 1 }, method: "eth_chainId" }, null],
      [{ jsonrpc: "2.0", id: true, method: "eth_chainId" }, null],
      [{ jsonrpc: "2.0", id: [1], method: "eth_chainId" }, null],
    ] as const;
    for (const [body, id] of invalid) {
      const out = await rpc(body);
      expect(out.id, JSON.stringify(body)).toBe(id);
      expect(out.error.code, JSON.stringify(body)).toBe(-32600);
    }
  });

  it("answers batches in order, skipping notifications", async () => {
    const before = notified;
    // Five calls: the server's maxBatchSize.
    const out = await rpc([
      req(2, "eth_getBalance", ["0x12", "latest"]),
      { jsonrpc: "2.0", method: "notifyMe" },
      req("x", "eth_foo"),
      42,
      req(3, "add", ["0x2", "0x3"]),
    ]);
    expect(notified).toBe(before + 1);
    expect(out.map((r: any) => [r.id, r.result ?? r.error.code])).toEqual([
      [2, -32602],
      ["x", -32601],
      [null, -32600],
      [3, "0x5"],
    ]);
  });

  it("sends nothing back for notifications, and rejects empty and oversized batches", async () => {
    const before = notified;
    const single = await post({ jsonrpc: "2.0", method: "notifyMe" });
    expect(single.status).toBe(204);
    expect(await single.text()).toBe("");
    const batch = await post([
      { jsonrpc: "2.0", method: "notifyMe" },
      { jsonrpc: "2.0", method: "eth_foo" },
    ]);
    expect(batch.status).toBe(204);
    expect(notified).toBe(before + 2);
    expect(await rpc([])).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "empty batch" } });
    const big = await rpc(Array.from({ length: 6 }, (_, i) => req(i, "eth_chainId")));
    expect(Array.isArray(big)).toBe(false);
    expect(big.error.code).toBe(-32600);
    expect(big.error.message).toMatch(/batch too large/);
  });

  it("maps handler errors: RpcError as is, ZgError through the mapper, anything else to a logged internal error", async () => {
    expect((await rpc(req(1, "revert"))).error).toEqual({ code: 3, message: "execution reverted: nope", data: REVERT_DATA });
    expect((await rpc(req(1, "mappedError"))).error).toEqual({ code: -32000, message: "bad hex: invalid hex: zz" });
    logged.length = 0;
    expect((await rpc(req(1, "boom"))).error).toEqual({ code: -32603, message: "internal error" });
    expect(logged[0]?.err?.stack).toMatch(/kaboom/);
    expect((await rpc(req(2, "unmappedError"))).error.code).toBe(-32603);
    expect((await rpc(req(3, "bigint"))).error).toEqual({ code: -32603, message: "internal error" });
    expect(logged.map((l) => l.msg)).toEqual(["rpc handler failed", "rpc handler failed", "rpc result is not serialisable"]);
    expect((await rpc(req(4, "eth_chainId"))).result).toBe("0x2a");
  });

  it("answers 413 to an oversized body, declared or streamed, and keeps serving", async () => {
    const huge = JSON.stringify(req(1, "echo", ["x".repeat(200_000)]));
    const declared = await post(huge);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "request body too large (limit 4096 bytes)" },
    });
    const bytes = new TextEncoder().encode(huge);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 1024) c.enqueue(bytes.subarray(i, i + 1024));
        c.close();
      },
    });
    const streamed = await fetch(server.url, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await rpc(req(2, "echo", ["small"]))).result).toBe("small");
  });

  it("accepts JSON-ish content types and refuses others", async () => {
    const body = req(1, "eth_chainId");
    for (const type of ["application/json; charset=utf-8", "application/json-rpc", "text/plain;charset=UTF-8"]) {
      expect((await post(body, { "content-type": type })).status, type).toBe(200);
    }
    const form = await post(body, { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    expect((await form.json()).error.code).toBe(-32600);
  });

  it("serves CORS preflight, /health, GET / and extra routes", async () => {
    const pre = await fetch(server.url, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")).toBe("content-type");
    expect((await post(req(1, "eth_chainId"))).headers.get("access-control-allow-origin")).toBe("*");
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect((await fetch(server.url)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/health`, { method: "DELETE" })).status).toBe(405);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('zg_rpc_requests_total{method="eth_chainId",status="ok"}');
    expect(text).toContain('zg_rpc_requests_total{method="boom",status="internal"}');
    expect(text).toContain('zg_rpc_requests_total{method="unknown",status="error"}');
    expect(text).toContain('zg_rpc_request_seconds_count{method="eth_chainId"}');
  });

  it("gives a route its request body up to its limit, 413 past it, and none unless asked", async () => {
    const up = (path: string, body: string) => fetch(`${server.url}${path}`, { method: "POST", body });
    expect(await (await up("/upload", "abcdef")).text()).toBe("6:abc");
    const big = await up("/upload", "x".repeat(1001));
    expect(big.status).toBe(413);
    expect(await big.text()).toMatch(/too large \(limit 1000 bytes\)/);
    expect(await (await up("/nobody", "abc")).text()).toBe("0");
  });

  it("tells a route when its body has been sent (so it may reuse the memory)", async () => {
    const before = sent;
    const res = await fetch(`${server.url}/pooled`);
    expect((await res.arrayBuffer()).byteLength).toBe(1 << 20);
    await vi.waitFor(() => expect(sent).toBe(before + 1)); // the server's write callback may run after the client's end
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toBe(before + 1); // once
  });

  it("refuses duplicate methods and routes", () => {
    expect(() => server.register("eth_chainId", { params: [], handler: () => 1 })).toThrow(JsonRpcServerError);
    expect(() => server.addRoute("get", "/metrics", () => ({ body: "" }))).toThrow(JsonRpcServerError);
  });
});

describe("RawJSON results", () => {
  /** Status, Content-Length header and body bytes, read without fetch's decoding. */
  function postRaw(body: string): Promise<{ status: number; length: string | undefined; text: string }> {
    return new Promise((resolve, reject) => {
      const r = request(server.url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, length: res.headers["content-length"], text: Buffer.concat(chunks).toString("utf8") }),
        );
      });
      r.on("error", reject);
      r.end(body);
    });
  }

  it("splices the bytes into single responses, echoing ids as JSON.stringify writes them", async () => {
    for (const id of [1, "a", null, 1.7e16, 0.5, 1e21]) {
      const out = await postRaw(JSON.stringify(req(id, "raw")));
      expect(out.status).toBe(200);
      expect(out.text).toBe(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${RAW_TEXT}}`);
      expect(Number(out.length)).toBe(Buffer.byteLength(out.text));
      expect(JSON.parse(out.text)).toEqual({ jsonrpc: "2.0", id, result: RAW_VALUE });
    }
    expect((await rpc(req(2, "rawAsync"))).result).toEqual(RAW_VALUE);
  });

  it("sends every response with a Content-Length in bytes", async () => {
    const out = await postRaw(JSON.stringify(req(1, "echo", ["é€😀"])));
    expect(out.text).toBe('{"jsonrpc":"2.0","id":1,"result":"é€😀"}');
    expect(Number(out.length)).toBe(Buffer.byteLength(out.text));
    const err = await postRaw(JSON.stringify(req(2, "eth_foo")));
    expect(Number(err.length)).toBe(Buffer.byteLength(err.text));
    expect(JSON.parse(err.text).error.code).toBe(-32601);
  });

  it("splices raw results into batches next to plain results and errors", async () => {
    const out = await postRaw(JSON.stringify([req(1, "raw"), req(2, "eth_chainId"), req(3, "eth_foo"), req(4, "rawAsync")]));
    expect(Number(out.length)).toBe(Buffer.byteLength(out.text));
    expect(JSON.parse(out.text)).toEqual([
      { jsonrpc: "2.0", id: 1, result: RAW_VALUE },
      { jsonrpc: "2.0", id: 2, result: "0x2a" },
      { jsonrpc: "2.0", id: 3, error: { code: -32601, message: "the method eth_foo does not exist/is not available" } },
      { jsonrpc: "2.0", id: 4, result: RAW_VALUE },
    ]);
    expect(out.text.startsWith(`[{"jsonrpc":"2.0","id":1,"result":${RAW_TEXT}},`)).toBe(true);
  });

  it("sends raw results over WebSocket as text frames", async () => {
    const ws = new WebSocket(server.wsUrl);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const frames: { text: string; binary: boolean }[] = [];
    const got = new Promise<void>((resolve) =>
      ws.on("message", (data, isBinary) => {
        frames.push({ text: data.toString(), binary: isBinary });
        if (frames.length === 3) resolve();
      }),
    );
    ws.send(JSON.stringify(req(1.7e16, "raw")));
    ws.send(JSON.stringify([req(2, "raw"), req(3, "eth_chainId")]));
    ws.send(JSON.stringify(req(4, "eth_foo")));
    await got;
    ws.close();
    expect(frames.every((f) => !f.binary)).toBe(true);
    const byId = new Map(frames.map((f) => [f.text, JSON.parse(f.text)]));
    expect([...byId.keys()]).toContain(`{"jsonrpc":"2.0","id":17000000000000000,"result":${RAW_TEXT}}`);
    expect([...byId.values()]).toContainEqual([
      { jsonrpc: "2.0", id: 2, result: RAW_VALUE },
      { jsonrpc: "2.0", id: 3, result: "0x2a" },
    ]);
    expect([...byId.values()]).toContainEqual({
      jsonrpc: "2.0",
      id: 4,
      error: { code: -32601, message: "the method eth_foo does not exist/is not available" },
    });
  });
});

describe("JsonRpcServer lifecycle", () => {
  const deps = { logger: pino({ level: "silent" }), metrics: null };

  it("echoes only allowed origins when given a list", async () => {
    const s = new JsonRpcServer({ port: 0, corsOrigins: ["https://ok.example"] }, deps);
    s.register("eth_chainId", { params: [], handler: () => "0x1" });
    await s.start();
    try {
      const call = (origin: string) =>
        fetch(s.url, {
          method: "POST",
          headers: { origin, "content-type": "application/json" },
          body: JSON.stringify(req(1, "eth_chainId")),
        });
      const ok = await call("https://ok.example");
      expect(ok.headers.get("access-control-allow-origin")).toBe("https://ok.example");
      expect(ok.headers.get("vary")).toBe("Origin");
      expect((await call("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
      const upgrade = (origin: string) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(s.wsUrl, { origin });
          ws.on("error", () => {});
          ws.once("open", () => {
            ws.close();
            resolve("open");
          });
          ws.once("unexpected-response", (_req, res) => {
            ws.terminate();
            resolve(String(res.statusCode));
          });
        });
      expect(await upgrade("https://ok.example")).toBe("open");
      expect(await upgrade("https://evil.example")).toBe("403");
    } finally {
      await s.stop();
    }
  });

  it("stops promptly with an idle keep-alive connection open", async () => {
    const s = new JsonRpcServer({ port: 0 }, deps);
    s.register("eth_chainId", { params: [], handler: () => "0x1" });
    await s.start();
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      const r = request(s.url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      r.on("error", reject);
      r.end(JSON.stringify(req(1, "eth_chainId")));
    });
    const idle = Object.values(agent.freeSockets).flat();
    expect(idle).toHaveLength(1);
    const socketClosed = new Promise((resolve) => idle[0]!.once("close", resolve));
    const t0 = performance.now();
    await s.stop();
    // Well under keepAliveTimeout (5 s) and the in-flight grace: idle sockets are closed, not waited for.
    expect(performance.now() - t0).toBeLessThan(2000);
    await socketClosed;
    agent.destroy();
  });

  it("stops promptly with a connected socket that never sent a request", async () => {
    const s = new JsonRpcServer({ port: 0 }, deps);
    await s.start();
    const socket = connect(s.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const socketClosed = new Promise((resolve) => socket.once("close", resolve));
    const t0 = performance.now();
    await s.stop();
    expect(performance.now() - t0).toBeLessThan(2000);
    await socketClosed;
  });

  it("lets an in-flight call finish on stop and tells the client to close", async () => {
    const s = new JsonRpcServer({ port: 0 }, deps);
    let release = (): void => {};
    let entered = (): void => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    s.register("slow", {
      params: [],
      handler: () =>
        new Promise((resolve) => {
          release = () => resolve("0x1");
          entered();
        }),
    });
    await s.start();
    const pending = fetch(s.url, { method: "POST", body: JSON.stringify(req(1, "slow")) });
    await inHandler;
    const stopped = s.stop();
    release();
    const res = await pending;
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.json()).toMatchObject({ result: "0x1" });
    await stopped;
  });

  it("fails to start on a taken port with LISTEN_FAILED", async () => {
    const a = new JsonRpcServer({ port: 0 }, deps);
    await a.start();
    const b = new JsonRpcServer({ port: a.port }, deps);
    try {
      await expect(b.start()).rejects.toMatchObject({ code: JsonRpcErrorCode.LISTEN_FAILED });
    } finally {
      await a.stop();
    }
  });
});
