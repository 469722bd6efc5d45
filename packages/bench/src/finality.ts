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
 * returned by the same node (blocks are final when committed), polling every `pollMs`.
 */
export async function measureFinality(url: string, txs: SignedTx[], opts: { gapMs: number; pollMs: number }): Promise<LatencyResult> {
  const client = new JsonRpcClient({ url, timeoutMs: 30_000 });
  const latencies: number[] = [];
  await Promise.all(
    txs.map(async (tx, i) => {
      await new Promise((r) => setTimeout(r, i * opts.gapMs));
      const started = performance.now();
      await client.request("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
      for (;;) {
        const r = await client.request<unknown>("eth_getTransactionReceipt", [bytesToHex(tx.hash)]);
        if (r) break;
        if (performance.now() - started > 30_000) throw new Error(`no receipt for ${bytesToHex(tx.hash)} after 30 s`);
        await new Promise((res) => setTimeout(res, opts.pollMs));
      }
      latencies.push(performance.now() - started);
    }),
  );
  return percentiles(latencies);
}
