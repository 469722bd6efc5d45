import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { RpcDispatcher, type RpcErrorMapper } from "./dispatcher.js";
import { JsonRpcErrorCode, JsonRpcServerError } from "./errors.js";
import { corsHeaders, isJsonContentType, preflightHeaders, rpcErrorBody, send } from "./httpUtil.js";
import type { ParamSchema } from "./params.js";
import { drainRest, readBody } from "./readBody.js";
import { createRpcMetrics, type RpcMetrics } from "./rpcMetrics.js";
import { SocketTracker } from "./socketTracker.js";
import type { HttpRouteHandler, HttpRouteOptions, MethodDefinition } from "./types.js";
import { WsEndpoint } from "./wsEndpoint.js";

export interface JsonRpcServerOptions {
  host: string;
  /** 0 picks a free port; read `server.port` after `start()`. */
  port: number;
  maxBodyBytes: number;
  maxBatchSize: number;
  wsMaxPayloadBytes: number;
  maxWsConnections: number;
  /** Unsent bytes a WebSocket client may let pile up before it is disconnected. */
  wsMaxBufferedBytes: number;
  /** Allowed browser origins for HTTP (CORS) and WebSocket. */
  corsOrigins: "*" | readonly string[];
}

export const defaultJsonRpcServerOptions: JsonRpcServerOptions = {
  host: "127.0.0.1",
  port: 8545,
  maxBodyBytes: 5 * 1024 * 1024,
  maxBatchSize: 1000,
  wsMaxPayloadBytes: 5 * 1024 * 1024,
  maxWsConnections: 1000,
  wsMaxBufferedBytes: 64 * 1024 * 1024,
  corsOrigins: "*",
};

export interface JsonRpcServerDeps {
  logger: Logger;
  metrics: Metrics | null;
  errorMapper?: RpcErrorMapper;
  /** Aborting it stops the server. */
  signal?: AbortSignal;
}

/** In-flight HTTP requests get this long to finish on `stop()` before their sockets are cut. */
const STOP_GRACE_MS = 5000;
/** Before a 413, how long and how much more a client may send so that it reads the answer. */
const DISCARD_MS = 1000;
const DISCARD_BYTES = 16 * 1024 * 1024;

const EMPTY_BODY = new Uint8Array(0);

/** JSON-RPC 2.0 over HTTP and WebSocket on one port, plus `/health` and extra HTTP routes. */
export class JsonRpcServer {
  readonly options: JsonRpcServerOptions;
  private readonly logger: Logger;
  private readonly metrics: RpcMetrics | null;
  private readonly dispatcher: RpcDispatcher;
  private readonly routes = new Map<string, { handler: HttpRouteHandler; maxBodyBytes: number }>();
  private readonly signal: AbortSignal | undefined;
  private readonly sockets = new SocketTracker();
  private http: Server | null = null;
  private ws: WsEndpoint | null = null;
  private boundPort: number;
  private stopping = false;

  constructor(options: Partial<JsonRpcServerOptions>, deps: JsonRpcServerDeps) {
    this.options = { ...defaultJsonRpcServerOptions, ...options };
    this.logger = deps.logger.child({ module: "rpc" });
    this.metrics = deps.metrics ? createRpcMetrics(deps.metrics) : null;
    const dispatcherDeps = { logger: this.logger, metrics: this.metrics };
    this.dispatcher = new RpcDispatcher(
      this.options.maxBatchSize,
      deps.errorMapper ? { ...dispatcherDeps, errorMapper: deps.errorMapper } : dispatcherDeps,
    );
    this.boundPort = this.options.port;
    this.signal = deps.signal;
  }

  register<const S extends readonly ParamSchema<unknown>[]>(name: string, def: MethodDefinition<S>): void {
    this.dispatcher.register(name, def);
  }

  /** Registered method names, sorted. */
  methods(): string[] {
    return this.dispatcher.methods();
  }

  /** An extra plain-HTTP endpoint, e.g. `addRoute("GET", "/metrics", ...)`; with `maxBodyBytes` it gets the body. */
  addRoute(method: string, path: string, handler: HttpRouteHandler, options: HttpRouteOptions = {}): void {
    const key = `${method.toUpperCase()} ${path}`;
    if (this.routes.has(key))
      throw new JsonRpcServerError({ code: JsonRpcErrorCode.ALREADY_REGISTERED, name: key }, `route ${key} is already registered`);
    this.routes.set(key, { handler, maxBodyBytes: options.maxBodyBytes ?? 0 });
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.hostForUrl()}:${this.boundPort}`;
  }

  get wsUrl(): string {
    return `ws://${this.hostForUrl()}:${this.boundPort}`;
  }

  async start(): Promise<void> {
    if (this.http) return;
    const { host, port } = this.options;
    const http = createServer((req, res) => this.onRequest(req, res));
    const ws = this.createWsEndpoint();
    http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => ws.handleUpgrade(req, socket, head));
    this.sockets.attach(http);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(
          new JsonRpcServerError({ code: JsonRpcErrorCode.LISTEN_FAILED, host, port }, `cannot listen on ${host}:${port}: ${err.message}`, {
            cause: err,
          }),
        );
      http.once("error", onError);
      http.listen(port, host, () => {
        http.off("error", onError);
        resolve();
      });
    });
    http.on("error", (err) => this.logger.error({ err }, "rpc server error"));
    const addr = http.address();
    this.boundPort = typeof addr === "object" && addr !== null ? addr.port : port;
    this.http = http;
    this.ws = ws;
    this.stopping = false;
    this.signal?.addEventListener("abort", () => void this.stop(), { once: true });
    this.logger.info({ url: this.url }, "rpc server listening");
  }

  /** Closes WebSockets and idle keep-alive sockets at once; in-flight HTTP calls get a short grace. */
  async stop(): Promise<void> {
    const http = this.http;
    if (!http) return;
    this.http = null;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    this.sockets.destroyIdle();
    await this.ws?.close();
    this.ws = null;
    const cut = setTimeout(() => this.sockets.destroyAll(), STOP_GRACE_MS);
    await closed;
    clearTimeout(cut);
    this.logger.info("rpc server stopped");
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const headers: OutgoingHttpHeaders = corsHeaders(this.options.corsOrigins, req);
    // Lets a keep-alive client go once stop() has begun.
    if (this.stopping) headers.Connection = "close";
    const route = this.routes.get(`${req.method} ${url.pathname}`);
    let work: Promise<void> | null = null;
    if (req.method === "OPTIONS") send(res, 204, { ...headers, ...preflightHeaders(req) });
    else if (route) work = this.serveRoute(route, req, url, res, headers);
    else if (url.pathname === "/" && req.method === "POST") work = this.serveRPC(req, res, headers);
    // geth answers a bare GET / with 200, which load balancers use as a liveness probe.
    else if (url.pathname === "/" && req.method === "GET") send(res, 200, headers);
    else if (url.pathname === "/health" && req.method === "GET")
      send(res, 200, { ...headers, "Content-Type": "application/json" }, '{"status":"ok"}');
    else if (url.pathname === "/" || url.pathname === "/health") send(res, 405, { ...headers, Allow: "POST, GET, OPTIONS" });
    else send(res, 404, { ...headers, "Content-Type": "text/plain" }, "not found");
    work?.catch((err: unknown) => {
      this.logger.error({ err, path: url.pathname }, "http request failed");
      if (!res.headersSent) send(res, 500, headers, "internal error");
      else res.destroy();
    });
  }

  private async serveRPC(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): Promise<void> {
    const json: OutgoingHttpHeaders = { ...headers, "Content-Type": "application/json" };
    const contentType = req.headers["content-type"];
    if (!isJsonContentType(contentType)) {
      send(res, 415, json, rpcErrorBody(`unsupported content type ${contentType}, use application/json`));
      return;
    }
    const limit = this.options.maxBodyBytes;
    const body = await readBody(req, limit);
    if (body.kind === "aborted") return;
    if (body.kind === "tooLarge") {
      await drainRest(req, DISCARD_BYTES, DISCARD_MS);
      send(res, 413, { ...json, Connection: "close" }, rpcErrorBody(`request body too large (limit ${limit} bytes)`));
      return;
    }
    const out = await this.dispatcher.handleBody(body.body, { transport: "http" });
    // stop() may have begun while the call ran: let the keep-alive client go.
    const close: OutgoingHttpHeaders = this.stopping ? { Connection: "close" } : {};
    if (out === null) send(res, 204, { ...headers, ...close });
    else send(res, 200, { ...json, ...close }, out);
  }

  private async serveRoute(
    route: { handler: HttpRouteHandler; maxBodyBytes: number },
    req: IncomingMessage,
    url: URL,
    res: ServerResponse,
    headers: OutgoingHttpHeaders,
  ): Promise<void> {
    let body: Uint8Array = EMPTY_BODY;
    if (route.maxBodyBytes > 0) {
      const read = await readBody(req, route.maxBodyBytes);
      if (read.kind === "aborted") return;
      if (read.kind === "tooLarge") {
        await drainRest(req, DISCARD_BYTES, DISCARD_MS);
        send(res, 413, { ...headers, Connection: "close" }, `request body too large (limit ${route.maxBodyBytes} bytes)\n`);
        return;
      }
      body = read.body;
    }
    const request = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, body };
    const out = await route.handler(request);
    if (out.onSent) res.once("finish", out.onSent);
    send(res, out.status ?? 200, { ...headers, "Content-Type": out.contentType ?? "text/plain; charset=utf-8", ...out.headers }, out.body);
  }

  private createWsEndpoint(): WsEndpoint {
    const o = this.options;
    return new WsEndpoint(
      {
        maxPayloadBytes: o.wsMaxPayloadBytes,
        maxConnections: o.maxWsConnections,
        maxBufferedBytes: o.wsMaxBufferedBytes,
        corsOrigins: o.corsOrigins,
      },
      { logger: this.logger, metrics: this.metrics, dispatcher: this.dispatcher },
    );
  }

  private hostForUrl(): string {
    return this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host;
  }
}
