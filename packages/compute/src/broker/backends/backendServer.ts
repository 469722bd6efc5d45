import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { InferenceRoute, ModelBackend } from "../../backend.js";
import { readBody, sendError, sendJSON, writePiece } from "../http.js";

export interface BackendServer {
  /** `http://host:port/v1`: an OpenAI base URL. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves a `ModelBackend` as a bare OpenAI-compatible server (`POST /v1/chat/completions`, `POST /v1/completions`,
 * `GET /v1/models`), without authentication or billing: the upstream of `OpenAIUpstreamBackend` in tests, and the
 * "no broker" baseline of the broker benchmark.
 */
export async function serveBackend(backend: ModelBackend, o: { host?: string; port?: number } = {}): Promise<BackendServer> {
  const host = o.host ?? "127.0.0.1";
  const server: Server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    try {
      if (req.method === "GET" && path === "/v1/models") {
        sendJSON(res, 200, { object: "list", data: [{ id: backend.model.id, object: "model", created: 0, owned_by: "zerog" }] });
        return;
      }
      const route = path === "/v1/chat/completions" ? "chat/completions" : path === "/v1/completions" ? "completions" : null;
      if (req.method !== "POST" || route === null) {
        sendError(res, 404, `no route ${req.method} ${path}`, "not_found_error", "not_found");
        return;
      }
      const body = await readBody(req, 16 << 20);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(Buffer.from(body).toString("utf8")) as Record<string, unknown>;
      } catch {
        sendError(res, 400, "the body is not JSON", "invalid_request_error", "bad_request");
        return;
      }
      const abort = new AbortController();
      res.on("close", () => abort.abort());
      const answer = await backend.handle({
        route: route as InferenceRoute,
        body,
        json,
        stream: json.stream === true,
        signal: abort.signal,
      });
      res.writeHead(answer.status, { "content-type": answer.contentType });
      for await (const piece of answer.body) await writePiece(res, piece);
      res.end();
    } catch (e) {
      sendError(res, 500, (e as Error).message, "server_error", "internal");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
