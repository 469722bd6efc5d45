import type { IncomingMessage, ServerResponse } from "node:http";
import { ComputeError, ComputeErrorCode } from "../errors.js";

/** The request body, refused with `COMPUTE_TOO_LARGE` past `limit` bytes (by Content-Length, or as it arrives). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"] ?? -1);
  if (declared > limit) throw tooLarge(limit);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    parts.push(chunk);
  }
  const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Writes a piece, waiting for the socket to drain (or close) when its buffer is full. */
export function writePiece(res: ServerResponse, piece: Uint8Array): Promise<void> | undefined {
  if (res.write(piece)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export function sendJSON(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRawJSON(res, status, JSON.stringify(body), headers);
}

export function sendRawJSON(res: ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(json);
  res.writeHead(status, { "content-type": "application/json", "content-length": bytes.length, ...headers });
  res.end(bytes);
}

/** OpenAI's error shape, `{error: {message, type, code}}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string,
  headers?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJSON(res, status, { error: { message, type, code } }, headers);
}

/** The HTTP status and OpenAI error type/code of a ComputeError. */
export function httpErrorOf(e: ComputeError): { status: number; type: string; code: string } {
  switch (e.type.code) {
    case ComputeErrorCode.UNAUTHORIZED:
      return { status: 401, type: "authentication_error", code: e.type.reason };
    case ComputeErrorCode.INSUFFICIENT_BALANCE:
      return { status: 402, type: "insufficient_balance", code: "insufficient_balance" };
    case ComputeErrorCode.TOO_LARGE:
      return { status: 413, type: "invalid_request_error", code: "request_too_large" };
    case ComputeErrorCode.BAD_REQUEST:
      return { status: 400, type: "invalid_request_error", code: "bad_request" };
    case ComputeErrorCode.NOT_FOUND:
      return { status: 404, type: "not_found_error", code: "not_found" };
    case ComputeErrorCode.STOPPED:
      return { status: 503, type: "server_error", code: "stopping" };
    case ComputeErrorCode.BACKEND_FAILED:
      return { status: 502, type: "server_error", code: "backend_failed" };
    default:
      return { status: 500, type: "server_error", code: e.type.code };
  }
}

function tooLarge(limit: number): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.TOO_LARGE, limit }, `the request body is larger than ${limit} bytes`);
}
