/** One HTTP request as the storage client makes it: small headers, a whole body, a signal that bounds it. */
export interface HttpExchangeRequest {
  method: "GET" | "POST";
  url: URL;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal: AbortSignal;
  /**
   * Memory for the response body when its length is known (a pool's); an exchange may ignore it (`fetch` does). The
   * caller must not reuse that memory while it holds the response.
   */
  allocate?: (size: number) => Uint8Array;
}

/** The answer, body read in full. */
export interface HttpExchangeResponse {
  status: number;
  contentType: string | null;
  bytes: Uint8Array;
}

/**
 * How a `StorageNodeClient` talks HTTP. The default is `fetch` (browsers, Deno, Node); `@zerog/sdk/node` installs one
 * over `node:http` that reads a body straight into one buffer of its Content-Length (undici copied every byte three
 * times and left the copies to the GC, which bounded verified downloads).
 */
export type HttpExchange = (request: HttpExchangeRequest) => Promise<HttpExchangeResponse>;

/** An `HttpExchange` over a WHATWG `fetch`. */
export function fetchExchange(fetchFn: typeof fetch = globalThis.fetch.bind(globalThis)): HttpExchange {
  return async ({ method, url, headers, body, signal }) => {
    const res = await fetchFn(url, { method, ...(headers ? { headers } : {}), ...(body === undefined ? {} : { body }), signal });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, contentType: res.headers.get("content-type"), bytes };
  };
}

let defaultExchange: HttpExchange | undefined;

/** The exchange of clients created without one (`fetchExchange()` unless `setDefaultHttpExchange` was called). */
export function getDefaultHttpExchange(): HttpExchange {
  defaultExchange ??= fetchExchange();
  return defaultExchange;
}

/** Makes `exchange` the default of clients created from now on (`@zerog/sdk/node` does this on import). */
export function setDefaultHttpExchange(exchange: HttpExchange): void {
  defaultExchange = exchange;
}
