import type { SignedTx } from "@zerog/chain";
import { bytesToHex, JsonRpcClient, WebSocketRpcClient } from "@zerog/core";

export interface LatencyResult {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(ms: number[]): LatencyResult {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
  return { samples: s.length, p50: at(50), p99: at(99), max: s[s.length - 1] ?? Number.NaN };
}

/**
 * Finality latency as a client sees it: from sending `eth_sendRawTransaction` to the receipt being
 * returned by the same node (blocks are final when committed). The client subscribes to `newHeads`
 * over WebSocket and, for each new head, asks in one JSON-RPC batch for the receipts of every
 * transaction still waiting; the node announces a head once its receipts can be read. A poll
 * every `pollMs` (a head announced just before its receipts could be read, a lost notification)
 * backs this up. Polling alone needs a request every few milliseconds for the same resolution,
 * whose CPU the nodes being measured would pay.
 */
export async function measureFinality(url: string, txs: SignedTx[], opts: { gapMs: number; pollMs: number }): Promise<LatencyResult> {
  const client = new JsonRpcClient({ url, timeoutMs: 30_000 });
  const ws = new WebSocketRpcClient({ url: url.replace(/^http/, "ws") });
  const latencies: number[] = [];
  const waiting = new Map<string, { started: number; done: () => void; fail: (e: unknown) => void }>();
  let checking: Promise<void> | null = null;
  let again = false;
  const check = (): Promise<void> => {
    if (checking) {
      again = true;
      return checking;
    }
    checking = (async () => {
      do {
        again = false;
        const hashes = [...waiting.keys()];
        if (hashes.length === 0) break;
        const results = await client.batch(hashes.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })));
        const now = performance.now();
        for (const [i, r] of results.entries()) {
          const w = waiting.get(hashes[i]!);
          if (!w) continue;
          if (r.ok && r.result) {
            latencies.push(now - w.started);
            waiting.delete(hashes[i]!);
            w.done();
          } else if (now - w.started > 30_000) {
            waiting.delete(hashes[i]!);
            w.fail(new Error(`no receipt for ${hashes[i]} after 30 s`));
          }
        }
      } while (again);
    })().finally(() => {
      checking = null;
    });
    return checking;
  };
  const onError = (e: unknown) => {
    for (const w of waiting.values()) w.fail(e);
    waiting.clear();
  };
  const sub = await ws.subscribe("eth_subscribe", ["newHeads"], () => void check().catch(onError));
  const poller = setInterval(() => void check().catch(onError), opts.pollMs);
  try {
    await Promise.all(
      txs.map(async (tx, i) => {
        await new Promise((r) => setTimeout(r, i * opts.gapMs));
        const started = performance.now();
        await client.request("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
        await new Promise<void>((done, fail) => waiting.set(bytesToHex(tx.hash), { started, done, fail }));
      }),
    );
  } finally {
    clearInterval(poller);
    await sub.unsubscribe().catch(() => false);
    await ws.close();
  }
  return percentiles(latencies);
}
