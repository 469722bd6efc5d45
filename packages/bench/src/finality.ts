import type { SignedTx } from "@zerog/chain";
import { bytesToHex, JsonRpcClient } from "@zerog/core";

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
 * returned by the same node (blocks are final when committed). Every `pollMs` one JSON-RPC batch
 * asks for the receipts of all transactions still waiting: the same resolution as a poll per
 * transaction, without thousands of requests a second taking CPU from the nodes being measured.
 */
export async function measureFinality(url: string, txs: SignedTx[], opts: { gapMs: number; pollMs: number }): Promise<LatencyResult> {
  const client = new JsonRpcClient({ url, timeoutMs: 30_000 });
  const latencies: number[] = [];
  const waiting = new Map<string, { started: number; done: () => void }>();
  let sending = txs.length;
  const poller = (async () => {
    while (sending > 0 || waiting.size > 0) {
      await new Promise((r) => setTimeout(r, opts.pollMs));
      const hashes = [...waiting.keys()];
      if (hashes.length === 0) continue;
      const results = await client.batch(hashes.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })));
      const now = performance.now();
      for (const [i, r] of results.entries()) {
        const w = waiting.get(hashes[i]!)!;
        if (r.ok && r.result) {
          latencies.push(now - w.started);
          waiting.delete(hashes[i]!);
          w.done();
        } else if (now - w.started > 30_000) throw new Error(`no receipt for ${hashes[i]} after 30 s`);
      }
    }
  })();
  await Promise.all([
    poller,
    ...txs.map(async (tx, i) => {
      await new Promise((r) => setTimeout(r, i * opts.gapMs));
      const started = performance.now();
      try {
        await client.request("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
      } catch (e) {
        sending--; // the poller stops once nothing is left to send or wait for
        throw e;
      }
      await new Promise<void>((done) => {
        waiting.set(bytesToHex(tx.hash), { started, done });
        sending--;
      });
    }),
  ]);
  return percentiles(latencies);
}
