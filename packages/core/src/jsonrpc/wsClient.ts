import { WebSocket } from "ws";
import type { Logger } from "../logger.js";
import { invalidResponse, type RpcCallOptions, unwrapResponse } from "./client.js";
import { JsonRpcErrorCode, RpcTransportError } from "./errors.js";
import { rawDataToString } from "./wsConnection.js";

export interface WebSocketRpcClientOptions {
  url: string;
  /** Per call; 0 disables. */
  timeoutMs: number;
  maxPayloadBytes: number;
}

export const defaultWebSocketRpcClientOptions: Omit<WebSocketRpcClientOptions, "url"> = {
  timeoutMs: 30_000,
  maxPayloadBytes: 100 * 1024 * 1024,
};

export interface RpcSubscription {
  readonly id: string;
  /** Stops local delivery and asks the server to unsubscribe; resolves to the server's answer. */
  unsubscribe(): Promise<boolean>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | null;
}

/** Notifications kept for a subscription whose id has not come back yet. */
const MAX_EARLY_NOTIFICATIONS = 256;

/**
 * JSON-RPC 2.0 over one WebSocket, with `eth_subscribe`-style subscriptions. Connects on first use;
 * once the socket closes the client is done (pending calls fail with CONNECTION_CLOSED).
 */
export class WebSocketRpcClient {
  readonly options: WebSocketRpcClientOptions;
  private readonly logger: Logger | null;
  private opening: Promise<WebSocket> | null = null;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Map<string, (result: unknown) => void>();
  private subscribing = 0;
  private early: { id: string; result: unknown }[] = [];

  constructor(options: Pick<WebSocketRpcClientOptions, "url"> & Partial<WebSocketRpcClientOptions>, deps: { logger?: Logger } = {}) {
    this.options = { ...defaultWebSocketRpcClientOptions, ...options };
    this.logger = deps.logger ?? null;
  }

  async connect(): Promise<void> {
    await this.open();
  }

  async request<T = unknown>(method: string, params: readonly unknown[] = [], opts: Omit<RpcCallOptions, "signal"> = {}): Promise<T> {
    const ws = await this.open();
    const id = this.nextId++;
    const text = JSON.stringify({ jsonrpc: "2.0", id, method, params });
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(
                new RpcTransportError({ code: JsonRpcErrorCode.TIMEOUT, method, timeoutMs }, `${method} timed out after ${timeoutMs} ms`),
              );
            }, timeoutMs)
          : null;
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      ws.send(text);
    });
  }

  /**
   * Calls `method` (e.g. `eth_subscribe`) and routes the matching `<namespace>_subscription`
   * notifications to `onNotification` until `unsubscribe()` or close.
   */
  async subscribe(method: string, params: readonly unknown[], onNotification: (result: unknown) => void): Promise<RpcSubscription> {
    const namespace = method.split("_")[0] ?? method;
    this.subscribing++;
    let id: string;
    try {
      const raw = await this.request<unknown>(method, params);
      if (typeof raw !== "string" && typeof raw !== "number") throw invalidResponse("subscription id is neither string nor number");
      id = String(raw);
    } finally {
      this.subscribing--;
    }
    this.subscriptions.set(id, onNotification);
    const early = this.early.filter((n) => n.id === id);
    this.early = this.subscribing === 0 ? [] : this.early.filter((n) => n.id !== id);
    for (const n of early) this.deliver(onNotification, n.result);
    return {
      id,
      unsubscribe: async () => {
        if (!this.subscriptions.delete(id) || this.closed) return false;
        return this.request<boolean>(`${namespace}_unsubscribe`, [id]);
      },
    };
  }

  async close(): Promise<void> {
    const ws = await this.opening?.catch(() => null);
    this.closed = true;
    if (!ws || ws.readyState === ws.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once("close", () => resolve());
      ws.close(1000);
      setTimeout(() => ws.terminate(), 1000).unref();
    });
  }

  private open(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(closedError());
    this.opening ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.options.url, { maxPayload: this.options.maxPayloadBytes });
      const url = this.options.url;
      let opened = false;
      const failed = (reason: string, cause?: Error): void => {
        const err = new RpcTransportError({ code: JsonRpcErrorCode.REQUEST_FAILED, url }, `cannot connect to ${url}: ${reason}`, { cause });
        if (!opened) reject(err);
      };
      ws.on("error", (err) => {
        if (opened) this.logger?.debug({ err }, "ws client error");
        else failed(err.message, err);
      });
      ws.once("open", () => {
        opened = true;
        resolve(ws);
      });
      ws.on("message", (data) => this.onMessage(rawDataToString(data)));
      ws.on("close", () => {
        failed("connection closed during handshake");
        this.onClose();
      });
    });
    return this.opening;
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.logger?.warn({ text: text.slice(0, 200) }, "ws client got invalid JSON");
      return;
    }
    for (const item of Array.isArray(msg) ? msg : [msg]) this.onItem(item);
  }

  private onItem(item: unknown): void {
    if (typeof item !== "object" || item === null) return;
    const m = item as Record<string, unknown>;
    if (typeof m.method === "string" && m.method.endsWith("_subscription")) {
      const params = m.params as { subscription?: unknown; result?: unknown } | undefined;
      const sub = params?.subscription;
      if (typeof sub !== "string" && typeof sub !== "number") return;
      const cb = this.subscriptions.get(String(sub));
      // A notification can beat the answer carrying its subscription id; hold it briefly.
      if (cb) this.deliver(cb, params?.result);
      else if (this.subscribing > 0 && this.early.length < MAX_EARLY_NOTIFICATIONS)
        this.early.push({ id: String(sub), result: params?.result });
      return;
    }
    if (typeof m.id !== "number") return;
    const pending = this.pending.get(m.id);
    if (!pending) return;
    this.pending.delete(m.id);
    if (pending.timer) clearTimeout(pending.timer);
    try {
      pending.resolve(unwrapResponse(item, m.id));
    } catch (e) {
      pending.reject(e);
    }
  }

  private deliver(cb: (result: unknown) => void, result: unknown): void {
    try {
      cb(result);
    } catch (err) {
      this.logger?.warn({ err }, "subscription callback failed");
    }
  }

  private onClose(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(closedError());
    }
    this.pending.clear();
    this.subscriptions.clear();
    this.early = [];
  }
}

function closedError(): RpcTransportError {
  return new RpcTransportError({ code: JsonRpcErrorCode.CONNECTION_CLOSED }, "WebSocket connection closed");
}
