import type { Counter, Gauge, Histogram, Metrics } from "../metrics.js";

export interface RpcMetrics {
  requests: Counter<"method" | "status">;
  seconds: Histogram<"method">;
  wsConnections: Gauge;
}

/** Outcome label: handler returned, answered with an RpcError, or failed unexpectedly. */
export type RpcCallStatus = "ok" | "error" | "internal";

/**
 * The server's instruments. Reuses ones already on the registry, so several servers (tests, a node
 * with two RPC endpoints) can share one `Metrics`.
 */
export function createRpcMetrics(metrics: Metrics): RpcMetrics {
  const existing = <T>(name: string): T | undefined => metrics.registry.getSingleMetric(name) as T | undefined;
  return {
    requests:
      existing<Counter<"method" | "status">>("zg_rpc_requests_total") ??
      metrics.counter("zg_rpc_requests_total", "JSON-RPC calls by method and outcome", ["method", "status"]),
    seconds:
      existing<Histogram<"method">>("zg_rpc_request_seconds") ??
      metrics.histogram("zg_rpc_request_seconds", "JSON-RPC call duration", [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], ["method"]),
    wsConnections:
      existing<Gauge>("zg_rpc_ws_connections") ?? metrics.gauge("zg_rpc_ws_connections", "Open JSON-RPC WebSocket connections"),
  };
}
