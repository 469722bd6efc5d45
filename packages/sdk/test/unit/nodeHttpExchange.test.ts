import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageClientError, StorageClientErrorCode, StorageNodeClient } from "../../src/index.js";
import { nodeHttpExchange } from "../../src/node/httpExchange.js";

const big = new Uint8Array(3 << 20).map((_, i) => (i * 7 + (i >> 11)) & 0xff);

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/sized") {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": big.length });
      res.end(big);
    } else if (req.url === "/chunked") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("abc");
      setTimeout(() => res.end("def"), 5);
    } else if (req.url === "/echo") {
      const parts: Buffer[] = [];
      req.on("data", (d: Buffer) => parts.push(d));
      req.on("end", () => {
        res.writeHead(201, { "content-type": String(req.headers["content-type"]) });
        res.end(Buffer.concat(parts));
      });
    } else if (req.url === "/slow") {
      setTimeout(() => res.end("late"), 2_000);
    } else {
      res.writeHead(404);
      res.end("no");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const get = (path: string, extra: { allocate?: (n: number) => Uint8Array; signal?: AbortSignal } = {}) =>
  nodeHttpExchange({ method: "GET", url: new URL(path, base), signal: extra.signal ?? AbortSignal.timeout(5_000), ...extra });

describe("nodeHttpExchange", () => {
  it("reads a body of known length into the memory it is given, byte for byte", async () => {
    const mem = new Uint8Array(4 << 20);
    const asked: number[] = [];
    const res = await get("/sized", {
      allocate: (n) => {
        asked.push(n);
        return mem.subarray(0, n);
      },
    });
    expect(res.status).toBe(200);
    expect(res.contentType).toBe("application/octet-stream");
    expect(asked).toEqual([big.length]);
    expect(res.bytes.buffer).toBe(mem.buffer);
    expect(Buffer.from(res.bytes).equals(Buffer.from(big))).toBe(true);
  });

  it("joins a chunked body, posts a body with its headers, and keeps other statuses", async () => {
    expect(new TextDecoder().decode((await get("/chunked")).bytes)).toBe("abcdef");
    const echoed = await nodeHttpExchange({
      method: "POST",
      url: new URL("/echo", base),
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
      signal: AbortSignal.timeout(5_000),
    });
    expect([echoed.status, echoed.contentType, new TextDecoder().decode(echoed.bytes)]).toEqual([201, "application/json", '{"a":1}']);
    expect((await get("/nothing")).status).toBe(404);
  });

  it("rejects a body cut short of its Content-Length and an aborted request", async () => {
    const liar = createNetServer((s) =>
      s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: x\r\n\r\nonly ten b")),
    );
    await new Promise<void>((r) => liar.listen(0, "127.0.0.1", r));
    const url = new URL(`http://127.0.0.1:${(liar.address() as AddressInfo).port}/`);
    await expect(nodeHttpExchange({ method: "GET", url, signal: AbortSignal.timeout(5_000) })).rejects.toThrow(
      /closed during the body|ended after 10 of its 100 bytes/,
    );
    liar.close();
    await expect(get("/slow", { signal: AbortSignal.timeout(50) })).rejects.toThrow(/aborted/);
  });

  it("a StorageNodeClient over it reports an unreachable node as NODE_UNREACHABLE", async () => {
    const closed = createNetServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const client = new StorageNodeClient(`http://127.0.0.1:${port}`, { exchange: nodeHttpExchange });
    const err = await client.getStatus().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageClientError);
    expect((err as StorageClientError).type.code).toBe(StorageClientErrorCode.NODE_UNREACHABLE);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });
});
