import { JsonRpcErrorCode, RpcError, type RpcErrorObject, RpcTransportError } from "./errors.js";
import type { JsonRpcId } from "./types.js";

export interface JsonRpcClientOptions {
  url: string;
  /** Per call (or per batch); 0 disables. */
  timeoutMs: number;
  /** Extra HTTP headers (auth tokens). */
  headers: Record<string, string>;
}

export const defaultJsonRpcClientOptions: Omit<JsonRpcClientOptions, "url"> = { timeoutMs: 30_000, headers: {} };

export interface RpcCall {
  method: string;
  params?: readonly unknown[];
}

export type RpcBatchResult<T = unknown> = { ok: true; result: T } | { ok: false; error: RpcError };

export interface RpcCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** JSON-RPC 2.0 over HTTP with the global `fetch`. Server errors come back as `RpcError`. */
export class JsonRpcClient {
  readonly options: JsonRpcClientOptions;
  private nextId = 1;

  constructor(options: Pick<JsonRpcClientOptions, "url"> & Partial<JsonRpcClientOptions>) {
    this.options = { ...defaultJsonRpcClientOptions, ...options };
  }

  async request<T = unknown>(method: string, params: readonly unknown[] = [], opts: RpcCallOptions = {}): Promise<T> {
    const id = this.nextId++;
    const reply = await this.post({ jsonrpc: "2.0", id, method, params }, method, opts);
    if (Array.isArray(reply)) throw invalidResponse("array answer to a single request");
    return unwrapResponse(reply, id) as T;
  }

  /** One HTTP round trip; results in call order, each a result or an `RpcError`. */
  async batch(calls: readonly RpcCall[], opts: RpcCallOptions = {}): Promise<RpcBatchResult[]> {
    if (calls.length === 0) return [];
    const ids = calls.map(() => this.nextId++);
    const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: ids[i], method: c.method, params: c.params ?? [] }));
    const reply = await this.post(body, "batch", opts);
    // A whole-batch rejection (too large) arrives as one error object.
    if (!Array.isArray(reply)) {
      const error = readResponse(reply).error;
      throw error ? RpcError.fromObject(error) : invalidResponse("single answer to a batch");
    }
    const byId = new Map<JsonRpcId, unknown>();
    for (const r of reply) byId.set(readResponse(r).id, r);
    return ids.map((id): RpcBatchResult => {
      const r = byId.get(id);
      if (r === undefined) throw invalidResponse(`no answer for batch id ${id}`);
      try {
        return { ok: true, result: unwrapResponse(r, id) };
      } catch (e) {
        if (e instanceof RpcError) return { ok: false, error: e };
        throw e;
      }
    });
  }

  private async post(body: unknown, method: string, opts: RpcCallOptions): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs;
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : null;
    const signals = [timeout, opts.signal].filter((s): s is AbortSignal => s !== null && s !== undefined);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.options.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...this.options.headers },
        body: JSON.stringify(body),
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
      });
      text = await res.text();
    } catch (e) {
      if (timeout?.aborted)
        throw new RpcTransportError({ code: JsonRpcErrorCode.TIMEOUT, method, timeoutMs }, `${method} timed out after ${timeoutMs} ms`);
      if (opts.signal?.aborted) throw opts.signal.reason;
      const reason = e instanceof Error ? e.message : String(e);
      throw new RpcTransportError(
        { code: JsonRpcErrorCode.REQUEST_FAILED, url: this.options.url },
        `request to ${this.options.url} failed: ${reason}`,
        { cause: e },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // A 413 still carries a JSON-RPC error worth surfacing; a proxy's 502 page does not.
    if (!res.ok && !isRPCEnvelope(parsed)) {
      throw new RpcTransportError({ code: JsonRpcErrorCode.HTTP_STATUS, status: res.status }, `HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    if (parsed === undefined) throw invalidResponse(`not JSON: ${text.slice(0, 200)}`);
    return parsed;
  }
}

function isRPCEnvelope(v: unknown): boolean {
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "object" && first !== null && (first as Record<string, unknown>).jsonrpc === "2.0";
}

interface ResponseShape {
  id: JsonRpcId;
  result?: unknown;
  error?: RpcErrorObject;
}

/** Checks the envelope of one response object. */
export function readResponse(r: unknown): ResponseShape {
  if (typeof r !== "object" || r === null || Array.isArray(r)) throw invalidResponse("response is not an object");
  const o = r as Record<string, unknown>;
  if (o.jsonrpc !== "2.0") throw invalidResponse('response without jsonrpc "2.0"');
  const id = o.id;
  if (id !== null && typeof id !== "string" && typeof id !== "number") throw invalidResponse("response id of invalid type");
  if (o.error !== undefined) {
    const e = o.error as Record<string, unknown> | null;
    if (typeof e !== "object" || e === null || typeof e.code !== "number" || typeof e.message !== "string")
      throw invalidResponse("malformed error object");
    return { id, error: { code: e.code, message: e.message, data: e.data } };
  }
  if (!Object.hasOwn(o, "result")) throw invalidResponse("response without result or error");
  return { id, result: o.result };
}

/** The result of a response with the expected id, or its error as `RpcError`. */
export function unwrapResponse(r: unknown, id: JsonRpcId): unknown {
  const res = readResponse(r);
  if (res.error) throw RpcError.fromObject(res.error);
  if (res.id !== id) throw invalidResponse(`response id ${String(res.id)} does not match request id ${String(id)}`);
  return res.result;
}

export function invalidResponse(reason: string): RpcTransportError {
  return new RpcTransportError({ code: JsonRpcErrorCode.INVALID_RESPONSE, reason }, `invalid JSON-RPC response: ${reason}`);
}
