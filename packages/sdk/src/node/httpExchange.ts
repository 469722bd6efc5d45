import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { HttpExchange } from "../storage/httpExchange.js";

/** Bodies up to this size are read into one buffer allocated from their Content-Length; larger ones in pieces. */
const PREALLOCATE_MAX = 64 << 20;

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * An `HttpExchange` over `node:http(s)` with keep-alive connections. A body with a Content-Length is copied once, from
 * the socket's reads into a buffer of that length; a body longer than it announced is an error, never a larger buffer.
 */
export const nodeHttpExchange: HttpExchange = ({ method, url, headers, body, signal, allocate }) =>
  new Promise((resolve, reject) => {
    const https = url.protocol === "https:";
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method, headers: headers ?? {}, agent: https ? agents.https : agents.http, signal },
      (res) => readBody(res, allocate).then(resolve, reject),
    );
    req.on("error", reject);
    req.end(body);
  });

function readBody(
  res: IncomingMessage,
  allocate: ((size: number) => Uint8Array) | undefined,
): Promise<{ status: number; contentType: string | null; bytes: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const announced = Number(res.headers["content-length"]);
    const known = Number.isSafeInteger(announced) && announced >= 0 && announced <= PREALLOCATE_MAX;
    const whole = known ? (allocate?.(announced) ?? Buffer.allocUnsafeSlow(announced)) : undefined;
    const pieces: Buffer[] = [];
    let length = 0;
    res.on("data", (chunk: Buffer) => {
      if (whole) {
        if (length + chunk.length > whole.length) {
          res.destroy(new Error(`the body is longer than its Content-Length ${announced}`));
          return;
        }
        whole.set(chunk, length);
      } else pieces.push(chunk);
      length += chunk.length;
    });
    res.on("end", () => {
      if (whole && length !== whole.length) reject(new Error(`the body ended after ${length} of its ${announced} bytes`));
      else
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers["content-type"] ?? null,
          bytes: whole ?? Buffer.concat(pieces, length),
        });
    });
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("the connection closed during the body")));
  });
}
