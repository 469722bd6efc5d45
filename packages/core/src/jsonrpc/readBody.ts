import type { IncomingMessage } from "node:http";

export type BodyResult = { kind: "ok"; text: string } | { kind: "tooLarge" } | { kind: "aborted" };

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops buffering at once and reports
 * `tooLarge`; the caller answers 413 and closes the connection.
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
    const onEnd = (): void => finish({ kind: "ok", text: Buffer.concat(chunks, size).toString("utf8") });
    const onClose = (): void => finish({ kind: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
    req.on("error", onClose);
  });
}

/** Lets the client read a 413 before the socket goes: drain a bounded amount, then close. */
export function discardRest(req: IncomingMessage, maxBytes: number, maxMs: number): void {
  let seen = 0;
  const timer = setTimeout(() => req.socket.destroy(), maxMs);
  timer.unref();
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) req.socket.destroy();
  });
  req.on("close", () => clearTimeout(timer));
  req.resume();
}
