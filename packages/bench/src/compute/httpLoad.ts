import { Worker } from "node:worker_threads";

// The load runs in a worker thread (its own event loop, so it does not share one with the broker it measures), over
// keep-alive connections with a fixed number of requests in flight; latencies are counted after a warm-up.
const LOAD = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { url, path, bodies, headers, concurrency, durationMs, warmupMs } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const u = new URL(url + path);
const lat = [];
let done = 0, errors = 0, measuring = false, stop = false, firstError = "";
function one(i) {
  return new Promise((resolve) => {
    const body = Buffer.from(bodies[i % bodies.length]);
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": body.length, ...(headers[i % headers.length] || {}) } }, (res) => {
      const chunks = [];
      res.on("data", (c) => { if (res.statusCode !== 200) chunks.push(c); });
      res.on("end", () => {
        if (res.statusCode !== 200) { errors++; if (!firstError) firstError = res.statusCode + " " + Buffer.concat(chunks).toString().slice(0, 200); }
        if (measuring) { lat.push(Number(process.hrtime.bigint() - t0) / 1e6); done++; }
        resolve();
      });
    });
    req.on("error", (e) => { errors++; if (!firstError) firstError = e.message; resolve(); });
    req.end(body);
  });
}
async function loop(k) { let i = k; while (!stop) { await one(i); i += concurrency; } }
const loops = Array.from({ length: concurrency }, (_, k) => loop(k));
setTimeout(() => { measuring = true; const t0 = Date.now();
  setTimeout(async () => { measuring = false; stop = true; const s = (Date.now() - t0) / 1000; await Promise.all(loops);
    lat.sort((a, b) => a - b);
    const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    parentPort.postMessage({ rps: done / s, p50: q(0.5), p99: q(0.99), n: done, errors, firstError });
    agent.destroy();
  }, durationMs);
}, warmupMs);
`;

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  n: number;
  errors: number;
  firstError: string;
}

export interface LoadParameters {
  url: string;
  path: string;
  /** Request bodies, used round-robin. */
  bodies: string[];
  /** Extra headers, round-robin (e.g. one Authorization per user). */
  headers: Record<string, string>[];
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
}

/** POSTs `bodies` to `url + path` with `concurrency` requests in flight for `durationMs`: requests/s and latency. */
export function runHttpLoad(o: LoadParameters): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOAD, { eval: true, workerData: { warmupMs: 1000, ...o } });
    w.once("message", (m: LoadResult) => {
      void w.terminate();
      resolve(m);
    });
    w.once("error", reject);
  });
}
