import type { IncomingHttpHeaders } from "node:http";
import type { RpcErrorObject } from "./errors.js";
import type { InferParams, ParamSchema } from "./params.js";

/** A request id: the spec allows strings, numbers and null. */
export type JsonRpcId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: "2.0";
  /** Absent on notifications. */
  id?: JsonRpcId;
  method: string;
  params?: unknown;
}

export type JsonRpcResponse = { jsonrpc: "2.0"; id: JsonRpcId; result: unknown } | { jsonrpc: "2.0"; id: JsonRpcId; error: RpcErrorObject };

/** A server-to-client message without id, e.g. `eth_subscription`. */
export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params: unknown;
}

/** One WebSocket client, as seen by handlers: lets them push notifications and clean up on close. */
export interface RpcConnection {
  readonly id: number;
  readonly closed: boolean;
  /** Sends a JSON-RPC notification; dropped silently once the connection is closed. */
  notify(method: string, params: unknown): void;
  /** Runs `cb` once when the connection closes (at once if it already has). */
  onClose(cb: () => void): void;
}

export interface RpcContext {
  transport: "http" | "ws";
  /** Set for WebSocket calls only. */
  connection?: RpcConnection;
}

export type RpcHandler<S extends readonly ParamSchema<unknown>[]> = (params: InferParams<S>, ctx: RpcContext) => unknown;

export interface MethodDefinition<S extends readonly ParamSchema<unknown>[]> {
  /** Positional params; trailing optional ones may be omitted by the caller. */
  params: S;
  /** Returns (or resolves to) the JSON result: hex strings, never bigint; or a RawJSON, sent as it is. */
  handler: RpcHandler<S>;
  /**
   * String params of at least 64 KiB without escapes may arrive as `RawJSONString` (their UTF-8 bytes) instead of
   * strings, anywhere inside the params: the schemas must accept both. For bulk data (base64 segments).
   */
  rawStrings?: boolean;
}

/** A plain HTTP request to an extra route (`GET /metrics`). */
export interface HttpRouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body, read in full for routes registered with `maxBodyBytes` (empty otherwise). */
  body: Uint8Array;
}

export interface HttpRouteOptions {
  /** Read request bodies up to this many bytes (larger: 413 before the handler runs). Default 0: no body. */
  maxBodyBytes?: number;
}

export interface HttpRouteResponse {
  /** 200 unless set. */
  status?: number;
  /** `text/plain; charset=utf-8` unless set. */
  contentType?: string;
  headers?: Record<string, string>;
  body: string | Uint8Array;
  /**
   * Called once the body has been handed to the kernel, so a handler may reuse its memory (a pool of response
   * buffers); not called when the connection closes first (the memory is then left to the GC).
   */
  onSent?: () => void;
}

export type HttpRouteHandler = (req: HttpRouteRequest) => HttpRouteResponse | Promise<HttpRouteResponse>;
