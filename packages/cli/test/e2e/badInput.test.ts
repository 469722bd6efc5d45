/**
 * Hostile and broken JSON-RPC input on a real `zg node`, by raw HTTP and WebSocket: malformed JSON
 * (-32700), wrong parameter types and counts and invalid hex (-32602 naming the argument), unknown
 * methods (-32601), invalid request shapes (-32600), an oversized body (413), batches (mixed, empty,
 * over the limit) and oversized WebSocket frames. After all of it the same process still serves.
 */
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { account } from "./helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "./helpers/node.js";
import { postJson, type RpcResponse } from "./helpers/rpc.js";

useE2ECleanup();

const ADDRESS = account(0).address;
const MAX_BODY = 5 * 1024 * 1024;

let node: TestNode;
let pid: number;

beforeAll(async () => {
  node = await startNode({ name: "bad-input node" });
  pid = node.pid;
});

afterAll(async () => {
  await node?.stop();
});

/** POSTs a raw string body; returns status and parsed JSON. */
async function post(body: string, contentType = "application/json"): Promise<{ status: number; json: any }> {
  const res = await fetch(node.url, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

async function call(method: string, params: unknown, id: unknown = 1): Promise<RpcResponse> {
  const { status, json } = await post(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  expect(status).toBe(200);
  return json as RpcResponse;
}

async function expectError(method: string, params: unknown, code: number, message: string | RegExp): Promise<void> {
  const r = await call(method, params, 42);
  expect(r.id).toBe(42);
  expect(r.result).toBeUndefined();
  expect(r.error?.code).toBe(code);
  if (typeof message === "string") expect(r.error?.message).toBe(message);
  else expect(r.error?.message).toMatch(message);
}

/** A WebSocket client that collects the node's answers by id. */
async function openWs(): Promise<{ ws: WebSocket; next(): Promise<any>; close(): Promise<void> }> {
  const ws = new WebSocket(node.wsUrl);
  const queue: any[] = [];
  const waiters: ((v: any) => void)[] = [];
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    const w = waiters.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return {
    ws,
    next: () =>
      new Promise((resolve, reject) => {
        if (queue.length > 0) return resolve(queue.shift());
        const timer = setTimeout(() => reject(new Error("no WebSocket answer within 10 s")), 10_000);
        waiters.push((v) => {
          clearTimeout(timer);
          resolve(v);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", () => resolve());
        ws.close();
      }),
  };
}

describe("bad JSON-RPC input", () => {
  it("answers malformed JSON with -32700 and id null", async () => {
    for (const body of [
      '{"jsonrpc":"2.0","id":1,"method":',
      "{not json}",
      '[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},',
      "\u0000\u0001",
    ]) {
      const { status, json } = await post(body);
      expect(status).toBe(200);
      expect(json.jsonrpc).toBe("2.0");
      expect(json.id).toBeNull();
      expect(json.error.code).toBe(-32700);
      expect(json.error.message).toMatch(/^parse error/);
    }
  });

  it("answers wrong parameter types with -32602 naming the argument", async () => {
    await expectError("eth_getBalance", [123, "latest"], -32602, "invalid argument 0: expected hex string, got number");
    await expectError("eth_getBalance", [ADDRESS, true], -32602, /^invalid argument 1: /);
    await expectError("eth_getBlockByNumber", ["latest", "yes"], -32602, "invalid argument 1: expected boolean, got string");
    await expectError("eth_call", [{ to: 5 }], -32602, "invalid argument 0: to: expected hex string, got number");
    await expectError("eth_getLogs", ["not an object"], -32602, /^invalid argument 0: /);
    await expectError("eth_getBalance", { address: ADDRESS }, -32602, /^non-array args/);
  });

  it("answers wrong parameter counts with -32602", async () => {
    await expectError("eth_getBalance", [], -32602, "missing value for required argument 0");
    await expectError("eth_getTransactionReceipt", [], -32602, "missing value for required argument 0");
    await expectError("eth_blockNumber", ["extra"], -32602, "too many arguments, want at most 0");
    await expectError("eth_getBalance", [ADDRESS, "latest", "extra"], -32602, "too many arguments, want at most 2");
    // Omitted optional arguments are fine.
    expect((await call("eth_getBalance", [ADDRESS])).result).toMatch(/^0x[0-9a-f]+$/);
    expect((await call("eth_blockNumber", undefined)).result).toMatch(/^0x[0-9a-f]+$/);
  });

  it("answers invalid hex with -32602", async () => {
    await expectError("eth_getBalance", [`0x${"zz".repeat(20)}`, "latest"], -32602, "invalid argument 0: invalid hex string");
    await expectError(
      "eth_getBalance",
      [ADDRESS.slice(0, -2), "latest"],
      -32602,
      "invalid argument 0: hex string has length 38, want 40 for address",
    );
    await expectError("eth_getBalance", [ADDRESS.slice(2), "latest"], -32602, "invalid argument 0: hex string without 0x prefix");
    await expectError("eth_getBlockByNumber", ["0x01", false], -32602, /^invalid argument 0: .*leading zero digits/);
    await expectError("eth_getBlockByNumber", ["0x", false], -32602, /^invalid argument 0: /);
    await expectError("eth_call", [{ to: ADDRESS, data: "0x123" }], -32602, "invalid argument 0: data: hex string of odd length");
    await expectError("eth_sendRawTransaction", ["0xgg"], -32602, "invalid argument 0: invalid hex string");
    await expectError("eth_getTransactionByHash", ["0x1234"], -32602, /^invalid argument 0: hex string has length 4, want 64/);
  });

  it("answers unknown methods with -32601", async () => {
    await expectError("eth_doesNotExist", [], -32601, "the method eth_doesNotExist does not exist/is not available");
    await expectError("", [], -32601, /does not exist/);
  });

  it("answers invalid request objects with -32600, echoing a usable id", async () => {
    const cases: [string, unknown][] = [
      ["42", null],
      ['"eth_chainId"', null],
      ["null", null],
      ['{"jsonrpc":"1.0","id":7,"method":"eth_chainId"}', 7],
      ['{"id":7,"method":"eth_chainId"}', 7],
      ['{"jsonrpc":"2.0","id":8}', 8],
      ['{"jsonrpc":"2.0","id":9,"method":42}', 9],
      ['{"jsonrpc":"2.0","id":{"a":1},"method":"eth_chainId"}', null],
      ['{"jsonrpc":"2.0","id":[1],"method":"eth_chainId"}', null],
    ];
    for (const [body, id] of cases) {
      const { status, json } = await post(body);
      expect(status, body).toBe(200);
      expect(json.id, body).toBe(id);
      expect(json.error.code, body).toBe(-32600);
      expect(json.error.message, body).toMatch(/^invalid request/);
    }
  });

  it("refuses other content types (415) and other HTTP methods and paths", async () => {
    const { status, json } = await post('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', "application/x-www-form-urlencoded");
    expect(status).toBe(415);
    expect(json.error.message).toMatch(/unsupported content type/);
    expect((await fetch(`${node.url}/nope`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await fetch(node.url, { method: "PUT", body: "{}" })).status).toBe(405);
    const health = await fetch(`${node.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
  });

  it("answers an oversized body with 413 and a JSON-RPC error, and keeps serving", async () => {
    // The client announces the size and waits (Expect: 100-continue) instead of uploading; see the
    // next test for what happens to a client that uploads.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        node.url,
        { method: "POST", headers: { "content-type": "application/json", "content-length": MAX_BODY + 1024, expect: "100-continue" } },
        (r) => {
          let text = "";
          r.setEncoding("utf8");
          r.on("data", (c: string) => {
            text += c;
          });
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body: text }));
          r.on("error", reject);
        },
      );
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: `request body too large (limit ${MAX_BODY} bytes)` },
    });
    expect((await call("eth_chainId", [])).result).toBe("0x7a69");
  });

  // Regression: the 413 must reach clients still uploading (answering mid-upload used to reset the connection).
  it("delivers the 413 to every client that uploads a body over the limit", async () => {
    const body = Buffer.alloc(MAX_BODY + 1024, " ");
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      outcomes.push(
        await new Promise<string>((resolve) => {
          const socket = connect(node.port, "127.0.0.1");
          let got = "";
          const timer = setTimeout(() => socket.destroy(), 10_000);
          socket.on("data", (d) => {
            got += d.toString("latin1");
          });
          socket.on("error", () => {});
          socket.on("close", () => {
            clearTimeout(timer);
            resolve(got.split("\r\n")[0] || "no answer");
          });
          socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
          socket.end(body);
        }),
      );
    }
    expect(outcomes).toEqual(Array.from({ length: 20 }, () => "HTTP/1.1 413 Payload Too Large"));
    expect((await call("eth_chainId", [])).result).toBe("0x7a69");
  });

  it("answers a batch mixing good and bad requests in order, each with its own result or error", async () => {
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
      { jsonrpc: "2.0", id: 2, method: "eth_nope", params: [] },
      { jsonrpc: "2.0", id: 3, method: "eth_getBalance", params: ["0x12", "latest"] },
      { jsonrpc: "2.0", id: 4 },
      { jsonrpc: "2.0", method: "eth_chainId", params: [] }, // a notification: no answer
      5,
      { jsonrpc: "2.0", id: "six", method: "eth_getBalance", params: [ADDRESS, "latest"] },
      { jsonrpc: "2.0", id: 7, method: "eth_getBlockByNumber", params: ["0x0", false] },
    ];
    const { status, json } = await post(JSON.stringify(batch));
    expect(status).toBe(200);
    expect(Array.isArray(json)).toBe(true);
    expect(json.map((r: RpcResponse) => r.id)).toEqual([1, 2, 3, 4, null, "six", 7]);
    expect(json[0].result).toBe("0x7a69");
    expect(json[1].error.code).toBe(-32601);
    expect(json[2].error).toEqual({ code: -32602, message: "invalid argument 0: hex string has length 2, want 40 for address" });
    expect(json[3].error.code).toBe(-32600);
    expect(json[4].error.code).toBe(-32600);
    expect(json[5].result).toMatch(/^0x[0-9a-f]+$/);
    expect(json[6].result.number).toBe("0x0");
    for (const r of json) expect("result" in r !== "error" in r).toBe(true);

    // A batch of only notifications has nothing to answer.
    const silent = await fetch(node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ jsonrpc: "2.0", method: "eth_chainId" }]),
    });
    expect([200, 204]).toContain(silent.status);
    expect(await silent.text()).toBe("");
  });

  it("answers an empty batch and a batch over the limit with one -32600 error", async () => {
    const empty = await post("[]");
    expect(empty.json).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "empty batch" } });

    const item = (i: number) => ({ jsonrpc: "2.0", id: i, method: "eth_chainId", params: [] });
    const huge = await post(JSON.stringify(Array.from({ length: 1001 }, (_, i) => item(i))));
    expect(huge.status).toBe(200);
    expect(huge.json).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch too large: 1001 requests, limit 1000" } });

    const full = await postJson(
      node.url,
      Array.from({ length: 1000 }, (_, i) => item(i)),
    );
    expect((full.json as RpcResponse[]).map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("answers the same mistakes over a WebSocket and keeps the connection open", async () => {
    const c = await openWs();
    try {
      c.ws.send("{broken");
      const parse = await c.next();
      expect(parse.id).toBeNull();
      expect(parse.error.code).toBe(-32700);

      c.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_nope", params: [] }));
      expect((await c.next()).error.code).toBe(-32601);

      c.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_getBalance", params: [1] }));
      expect(await c.next()).toEqual({
        jsonrpc: "2.0",
        id: 2,
        error: { code: -32602, message: "invalid argument 0: expected hex string, got number" },
      });

      c.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 3 }));
      expect((await c.next()).error.code).toBe(-32600);

      c.ws.send("[]");
      expect((await c.next()).error).toEqual({ code: -32600, message: "empty batch" });

      c.ws.send(
        JSON.stringify([
          { jsonrpc: "2.0", id: 4, method: "eth_chainId", params: [] },
          { jsonrpc: "2.0", id: 5, method: "eth_nope", params: [] },
        ]),
      );
      const batch = await c.next();
      expect(batch.map((r: RpcResponse) => r.id)).toEqual([4, 5]);
      expect(batch[0].result).toBe("0x7a69");
      expect(batch[1].error.code).toBe(-32601);

      c.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 6, method: "eth_chainId", params: [] }));
      expect(await c.next()).toEqual({ jsonrpc: "2.0", id: 6, result: "0x7a69" });
    } finally {
      await c.close();
    }
  });

  it("closes a WebSocket that sends an oversized frame (1009) and accepts new connections", async () => {
    const c = await openWs();
    const closed = new Promise<number>((resolve) => c.ws.once("close", (code) => resolve(code)));
    c.ws.on("error", () => {}); // the server's close may surface as an error on the client first
    c.ws.send(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId","pad":"${"x".repeat(MAX_BODY + 1024)}"}`);
    expect(await closed).toBe(1009);

    const again = await openWs();
    try {
      again.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }));
      expect((await again.next()).result).toMatch(/^0x[0-9a-f]+$/);
    } finally {
      await again.close();
    }
  });

  it("is the same live process, still serving, after all of it", async () => {
    expect(node.alive).toBe(true);
    expect(node.pid).toBe(pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect((await call("eth_blockNumber", [])).result).toMatch(/^0x[0-9a-f]+$/);
    expect((await call("eth_chainId", [])).result).toBe("0x7a69");
  });
});
