import type { Counter, Gauge, Metrics } from "@zerog/core";

export interface MempoolMetrics {
  txs: Gauge<"state">;
  added: Counter;
  rejected: Counter<"reason">;
  evicted: Counter;
}

/** The pool's instruments; reuses those already on the registry, so several pools can share one `Metrics`. */
export function createMempoolMetrics(metrics: Metrics): MempoolMetrics {
  const existing = <T>(name: string): T | undefined => metrics.registry.getSingleMetric(name) as T | undefined;
  return {
    txs: existing<Gauge<"state">>("zg_mempool_txs") ?? metrics.gauge("zg_mempool_txs", "Transactions in the pool by state", ["state"]),
    added: existing<Counter>("zg_mempool_added_total") ?? metrics.counter("zg_mempool_added_total", "Transactions admitted to the pool"),
    rejected:
      existing<Counter<"reason">>("zg_mempool_rejected_total") ??
      metrics.counter("zg_mempool_rejected_total", "Transactions refused by the pool, by error code", ["reason"]),
    evicted:
      existing<Counter>("zg_mempool_evicted_total") ?? metrics.counter("zg_mempool_evicted_total", "Transactions evicted to make room"),
  };
}
