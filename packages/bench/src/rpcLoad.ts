import type { SignedTx } from "@zerog/chain";
import { bytesToHex, JsonRpcClient } from "@zerog/core";
import type { Workload } from "./workload.js";

export interface LoadOptions {
  /** Transactions per JSON-RPC batch. */
  batchSize: number;
  /** Batches in flight at once. */
  concurrency: number;
  /** Give up after this long (ms). */
  timeoutMs: number;
}

export const defaultLoadOptions: LoadOptions = { batchSize: 200, concurrency: 4, timeoutMs: 300_000 };

export interface LoadResult {
  txs: number;
  /** First send to last send (ms). */
  sendMs: number;
  /** First send to the last receipt (ms). */
  totalMs: number;
  tps: number;
  rejected: number;
  firstError: string | undefined;
}

/** Sends a pre-signed workload over JSON-RPC and waits until every sender's last tx has a receipt. */
export async function runLoad(url: string, w: Workload, o: LoadOptions = defaultLoadOptions): Promise<LoadResult> {
  const client = new JsonRpcClient({ url, timeoutMs: 60_000 });
  const batches: SignedTx[][] = [];
  for (let i = 0; i < w.txs.length; i += o.batchSize) batches.push(w.txs.slice(i, i + o.batchSize));
  let rejected = 0;
  let firstError: string | undefined;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const results = await client.batch(batch.map((tx) => ({ method: "eth_sendRawTransaction", params: [bytesToHex(tx.raw)] })));
      for (const r of results) {
        if (!r.ok) {
          rejected++;
          firstError ??= r.error.message;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const sendMs = performance.now() - started;
  await waitForReceipts(client, w.lastPerSender, started, o.timeoutMs);
  const totalMs = performance.now() - started;
  return { txs: w.txs.length, sendMs, totalMs, tps: (w.txs.length * 1000) / totalMs, rejected, firstError };
}

/**
 * Sends a workload at a fixed rate (batches every 50 ms) instead of all at once: load near
 * capacity without a backlog, so latency measures the system rather than the queue.
 */
export async function runPacedLoad(url: string, w: Workload, perSecond: number): Promise<LoadResult> {
  const client = new JsonRpcClient({ url, timeoutMs: 60_000 });
  const perTick = Math.max(1, Math.round(perSecond / 20));
  let rejected = 0;
  let firstError: string | undefined;
  const started = performance.now();
  for (let i = 0, tick = 0; i < w.txs.length; i += perTick, tick++) {
    const wait = started + tick * 50 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const batch = w.txs.slice(i, i + perTick);
    void client.batch(batch.map((tx) => ({ method: "eth_sendRawTransaction", params: [bytesToHex(tx.raw)] }))).then((results) => {
      for (const r of results) {
        if (!r.ok) {
          rejected++;
          firstError ??= r.error.message;
        }
      }
    });
  }
  const sendMs = performance.now() - started;
  await waitForReceipts(client, w.lastPerSender, started, defaultLoadOptions.timeoutMs);
  const totalMs = performance.now() - started;
  return { txs: w.txs.length, sendMs, totalMs, tps: (w.txs.length * 1000) / totalMs, rejected, firstError };
}

/**
 * Waits until every transaction has a receipt; throws after `timeoutMs` from `started`. Polls the head every 25 ms
 * and asks for the receipts only when it moved (or after a second without): hundreds of receipt lookups 40 times
 * a second would take CPU from the nodes being measured.
 */
async function waitForReceipts(client: JsonRpcClient, txs: readonly SignedTx[], started: number, timeoutMs: number): Promise<void> {
  let waiting = txs;
  let head: unknown;
  let asked = 0;
  while (waiting.length > 0) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out with ${waiting.length} senders unconfirmed`);
    const now = await client.request("eth_blockNumber", []);
    if (now !== head || performance.now() - asked > 1_000) {
      head = now;
      asked = performance.now();
      const receipts = await client.batch(waiting.map((tx) => ({ method: "eth_getTransactionReceipt", params: [bytesToHex(tx.hash)] })));
      waiting = waiting.filter((_, i) => {
        const r = receipts[i]!;
        return !r.ok || r.result === null;
      });
    }
    if (waiting.length > 0) await new Promise((r) => setTimeout(r, 25));
  }
}
