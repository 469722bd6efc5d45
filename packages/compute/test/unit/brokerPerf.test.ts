import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { createSilentLogger } from "@zerog/core";
import { describe, expect, it } from "vitest";
import { serveBackend } from "../../src/broker/backends/backendServer.js";
import { EchoBackend } from "../../src/broker/backends/echoBackend.js";
import { Broker } from "../../src/broker/broker.js";
import { FakeBrokerChain } from "../../src/broker/fakeBrokerChain.js";
import { chatBody, fundedUser, PROVIDER, PROVIDER_KEY, ZG } from "./brokerHarness.js";

// A benchmark, not a pass/fail test: ZG_BENCH=1 npx vitest run packages/compute/test/unit/brokerPerf.test.ts
// The load runs in a worker thread (its own core), keep-alive connections, a fixed number of requests in flight.

const LOAD = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { url, path, bodies, headers, concurrency, durationMs, warmupMs } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const u = new URL(url + path);
const lat = [];
let done = 0, errors = 0, measuring = false, stop = false;
function one(i) {
  return new Promise((resolve) => {
    const body = Buffer.from(bodies[i % bodies.length]);
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": body.length, ...(headers[i % headers.length] || {}) } }, (res) => {
      res.on("data", () => {});
      res.on("end", () => {
        if (res.statusCode !== 200) errors++;
        if (measuring) { lat.push(Number(process.hrtime.bigint() - t0) / 1e6); done++; }
        resolve();
      });
    });
    req.on("error", () => { errors++; resolve(); });
    req.end(body);
  });
}
async function loop(k) { let i = k; while (!stop) { await one(i); i += concurrency; } }
const loops = Array.from({ length: concurrency }, (_, k) => loop(k));
setTimeout(() => { measuring = true; const t0 = Date.now();
  setTimeout(async () => { measuring = false; stop = true; const s = (Date.now() - t0) / 1000; await Promise.all(loops);
    lat.sort((a, b) => a - b);
    const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    parentPort.postMessage({ rps: done / s, p50: q(0.5), p99: q(0.99), n: done, errors });
    agent.destroy();
  }, durationMs);
}, warmupMs);
`;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  n: number;
  errors: number;
}

function runLoad(o: {
  url: string;
  path: string;
  bodies: string[];
  headers: Record<string, string>[];
  concurrency: number;
  durationMs: number;
}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOAD, { eval: true, workerData: { ...o, warmupMs: 1000 } });
    w.once("message", (m: LoadResult) => {
      void w.terminate();
      resolve(m);
    });
    w.once("error", reject);
  });
}

describe.skipIf(!process.env.ZG_BENCH)("broker throughput and overhead (echo backend)", () => {
  it("requests/s and latency through the broker vs the echo backend served directly", async () => {
    const durationMs = Number(process.env.ZG_BENCH_MS ?? 5000);
    const chain = new FakeBrokerChain({ providerAddress: PROVIDER });
    const dataDir = mkdtempSync(join(tmpdir(), "zg-broker-bench-"));
    const broker = new Broker(
      {
        port: 0,
        dataDir,
        inputPrice: 1n,
        outputPrice: 1n,
        settlement: { checkMs: 3_600_000, intervalMs: 3_600_000, thresholdWei: ZG * ZG },
      },
      { chain, backend: new EchoBackend(), signerKey: PROVIDER_KEY, logger: createSilentLogger() },
    );
    await broker.start();
    const direct = await serveBackend(new EchoBackend());
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => fundedUser(chain, `bench-${i}`, 1000n * ZG)));
    const bodies = Array.from({ length: 50 }, (_, i) => chatBody(`benchmark request number ${i}, a short prompt`));
    const headers = users.map((u) => ({ authorization: u.authorization }));
    const rows: string[] = [];
    try {
      for (const concurrency of [1, 16, 64]) {
        const base = await runLoad({
          url: direct.url.replace(/\/v1$/, ""),
          path: "/v1/chat/completions",
          bodies,
          headers: [{}],
          concurrency,
          durationMs,
        });
        const through = await runLoad({ url: broker.url, path: "/v1/proxy/chat/completions", bodies, headers, concurrency, durationMs });
        expect(through.errors).toBe(0);
        rows.push(
          `c=${concurrency}: direct ${base.rps.toFixed(0)} req/s p50 ${base.p50.toFixed(2)} ms p99 ${base.p99.toFixed(2)} ms | ` +
            `broker ${through.rps.toFixed(0)} req/s p50 ${through.p50.toFixed(2)} ms p99 ${through.p99.toFixed(2)} ms | ` +
            `overhead p50 ${(through.p50 - base.p50).toFixed(2)} ms, throughput ×${(through.rps / base.rps).toFixed(2)}`,
        );
      }
      const s = await broker.settleNow();
      rows.push(`settled ${s.users} users in ${s.batches} batch(es), ${s.fee} wei`);
    } finally {
      await broker.stop();
      await direct.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    console.log(rows.join("\n"));
  }, 120_000);
});
