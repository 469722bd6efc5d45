import type { IncomingMessage } from "node:http";

export type BodyResult = { kind: "ok"; body: Buffer } | { kind: "tooLarge" } | { kind: "aborted" };

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops buffering at once and reports
 * `tooLarge`; the caller drains a bounded amount (`drainRest`), answers 413 and closes.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ kind: "tooLarge" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      req.off("error", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        finish({ kind: "tooLarge" });
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => finish({ kind: "ok", body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onClose = (): void => finish({ kind: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
    req.on("error", onClose);
  });
}

/**
 * Reads and drops the rest of an oversized body, at most `maxBytes` or `maxMs`, so that the 413
 * answered afterwards reaches a client that is still uploading (answering and closing mid-upload
 * resets the connection and the client never sees the answer). Resolves early when the bound is hit.
 */
export function drainRest(req: IncomingMessage, maxBytes: number, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", done);
      req.off("close", done);
      req.pause();
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    timer.unref();
    req.on("data", onData);
    req.on("end", done);
    req.on("close", done);
    req.resume();
  });
}
