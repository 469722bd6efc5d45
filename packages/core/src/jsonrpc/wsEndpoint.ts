import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../logger.js";
import type { RpcDispatcher } from "./dispatcher.js";
import { allowedOrigin, rejectUpgrade } from "./httpUtil.js";
import type { RpcMetrics } from "./rpcMetrics.js";
import { rawDataToBuffer, WsConnection } from "./wsConnection.js";

export interface WsEndpointOptions {
  maxPayloadBytes: number;
  maxConnections: number;
  maxBufferedBytes: number;
  corsOrigins: "*" | readonly string[];
}

export interface WsEndpointDeps {
  logger: Logger;
  metrics: RpcMetrics | null;
  dispatcher: RpcDispatcher;
}

/** Clients that do not answer our close frame within this are cut. */
const CLOSE_GRACE_MS = 1000;

/** The WebSocket side of the server: takes upgrades on `/` from the HTTP server and owns the connections. */
export class WsEndpoint {
  private readonly options: WsEndpointOptions;
  private readonly deps: WsEndpointDeps;
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<WsConnection, WebSocket>();
  private nextId = 1;
  private accepting = true;

  constructor(options: WsEndpointOptions, deps: WsEndpointDeps) {
    this.options = options;
    this.deps = deps;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", (err) => this.deps.logger.debug({ err }, "ws upgrade socket error"));
    const refusal = this.refusal(req);
    if (refusal) rejectUpgrade(socket, refusal[0], refusal[1]);
    else this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  /** Refuses further upgrades and closes every connection with 1001 (going away). */
  async close(): Promise<void> {
    this.accepting = false;
    await Promise.all([...this.connections.values()].map(closeWebSocket));
    this.wss.close();
  }

  private refusal(req: IncomingMessage): [number, string] | null {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== "/") return [404, "Not Found"];
    if (!this.accepting) return [503, "Service Unavailable"];
    const origin = req.headers.origin;
    if (origin !== undefined && allowedOrigin(this.options.corsOrigins, origin) === null) return [403, "Forbidden"];
    if (this.connections.size >= this.options.maxConnections) return [503, "Service Unavailable"];
    return null;
  }

  private onConnection(ws: WebSocket): void {
    const { logger, metrics, dispatcher } = this.deps;
    const conn = new WsConnection(this.nextId++, ws, this.options.maxBufferedBytes, logger);
    this.connections.set(conn, ws);
    metrics?.wsConnections.inc();
    const ctx = { transport: "ws" as const, connection: conn };
    // Messages are handled concurrently, as geth does; responses carry ids, so order does not matter.
    ws.on("message", (data) => {
      dispatcher
        .handleBody(rawDataToBuffer(data), ctx)
        .then((out) => out !== null && conn.send(out))
        .catch((err: unknown) => logger.error({ err, conn: conn.id }, "ws message failed"));
    });
    ws.on("error", (err) => logger.debug({ err, conn: conn.id }, "ws error"));
    ws.on("close", () => {
      this.connections.delete(conn);
      metrics?.wsConnections.dec();
      conn.handleClose();
    });
  }
}

function closeWebSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once("close", () => resolve());
    ws.close(1001, "server stopping");
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  });
}
