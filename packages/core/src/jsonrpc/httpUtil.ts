import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { RPC_ERROR_CODES } from "./errors.js";

/** The Access-Control-Allow-Origin value for a request's Origin, or null when not allowed. */
export function allowedOrigin(allowed: "*" | readonly string[], origin: string | undefined): string | null {
  if (allowed === "*" || allowed.includes("*")) return "*";
  return origin !== undefined && allowed.includes(origin) ? origin : null;
}

export function corsHeaders(allowed: "*" | readonly string[], req: IncomingMessage): OutgoingHttpHeaders {
  const origin = allowedOrigin(allowed, req.headers.origin);
  if (origin === null) return {};
  return origin === "*" ? { "Access-Control-Allow-Origin": "*" } : { "Access-Control-Allow-Origin": origin, Vary: "Origin" };
}

export function preflightHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  return {
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Content-Type",
    "Access-Control-Max-Age": "600",
  };
}

/**
 * application/json and its relatives (application/json-rpc, application/*+json), none at all, and
 * text/plain: what `fetch` sends for a string body and browsers use to skip the CORS preflight.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const mime = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return mime === "" || mime === "text/plain" || mime.includes("json");
}

/** A JSON-RPC error body for failures detected before any request could be read. */
export function rpcErrorBody(message: string, code: number = RPC_ERROR_CODES.INVALID_REQUEST): string {
  return JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } });
}

/**
 * Writes a whole response. The body goes out as one buffer (a string is UTF-8 encoded once, here) with its
 * Content-Length taken from the buffer, so Node does not measure and encode a string body a second time.
 */
export function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body?: string | Uint8Array): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, "Content-Length": bytes.length });
  res.end(bytes);
}

/** Refuses a WebSocket upgrade with a plain HTTP status, as `ws` does. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`,
  );
}
