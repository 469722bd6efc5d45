/** Plain JSON-RPC over fetch, without an SDK in the way: for raw checks of codes and messages. */

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcResponse<T = unknown> {
  jsonrpc: "2.0";
  id: number | string | null;
  result?: T;
  error?: RpcErrorObject;
}

/** A JSON-RPC error answer, thrown by `rpc()`. */
export class RpcCallError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(method: string, err: RpcErrorObject) {
    super(`${method}: ${err.code} ${err.message}`);
    this.code = err.code;
    this.data = err.data;
  }
}

let nextId = 1;

/** POSTs `body` as JSON; returns the HTTP status and the parsed answer (null for an empty body). */
export async function postJson(url: string, body: unknown, timeoutMs = 30_000): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

/** One call; returns the whole response object (result or error). */
export async function rpcResponse<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<RpcResponse<T>> {
  const { json } = await postJson(url, { jsonrpc: "2.0", id: nextId++, method, params });
  return json as RpcResponse<T>;
}

/** One call; throws `RpcCallError` on an error answer. */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await rpcResponse<T>(url, method, params);
  if (r.error) throw new RpcCallError(method, r.error);
  return r.result as T;
}

/** The error object of a call that must fail. */
export async function rpcError(url: string, method: string, params: unknown[] = []): Promise<RpcErrorObject> {
  const r = await rpcResponse(url, method, params);
  if (!r.error) throw new Error(`${method} was expected to fail but returned ${JSON.stringify(r.result)}`);
  return r.error;
}

/** Several calls in one JSON-RPC batch; answers in the order of `calls`, matched by id. */
export async function rpcBatch(url: string, calls: { method: string; params?: unknown[] }[]): Promise<RpcResponse[]> {
  if (calls.length === 0) return [];
  const first = nextId;
  nextId += calls.length;
  const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params ?? [] }));
  const { json } = await postJson(url, body);
  if (!Array.isArray(json)) throw new Error(`batch answered with a non-array: ${JSON.stringify(json).slice(0, 300)}`);
  const byId = new Map<unknown, RpcResponse>((json as RpcResponse[]).map((r) => [r.id, r]));
  return body.map((b) => {
    const r = byId.get(b.id);
    if (!r) throw new Error(`batch answer lacks id ${b.id}`);
    return r;
  });
}

export const hexToBigInt = (h: string): bigint => BigInt(h);
export const toHex = (n: bigint | number): string => `0x${n.toString(16)}`;

/** Polls `check` until it returns a value other than undefined (for state only reachable by polling over HTTP). */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits for a receipt over plain HTTP. */
export async function waitForReceipt(url: string, hash: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return until(
    `receipt of ${hash}`,
    async () => (await rpc<Record<string, unknown> | null>(url, "eth_getTransactionReceipt", [hash])) ?? undefined,
    timeoutMs,
  );
}

/**
 * A condition re-checked whenever `poke()` is called (from an event handler): `promise` resolves
 * with the first defined value of `check`, or rejects after `timeoutMs`.
 */
export function condition<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): { poke(): void; promise: Promise<T> } {
  let poke: () => void = () => {};
  const promise = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    poke = () => {
      let v: T | undefined;
      try {
        v = check();
      } catch (e) {
        clearTimeout(timer);
        reject(e);
        return;
      }
      if (v !== undefined) {
        clearTimeout(timer);
        resolve(v);
      }
    };
  });
  return { poke: () => poke(), promise };
}
