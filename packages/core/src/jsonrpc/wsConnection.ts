import type { RawData, WebSocket } from "ws";
import type { Logger } from "../logger.js";
import type { RpcConnection } from "./types.js";

/** Close code for a client that does not read its notifications fast enough. */
const CLOSE_SLOW_CONSUMER = 1008;

/** The server side of one WebSocket client, handed to handlers as `ctx.connection`. */
export class WsConnection implements RpcConnection {
  readonly id: number;
  private readonly ws: WebSocket;
  private readonly maxBufferedBytes: number;
  private readonly logger: Logger;
  private readonly closeCallbacks: (() => void)[] = [];
  private isClosed = false;

  constructor(id: number, ws: WebSocket, maxBufferedBytes: number, logger: Logger) {
    this.id = id;
    this.ws = ws;
    this.maxBufferedBytes = maxBufferedBytes;
    this.logger = logger;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  notify(method: string, params: unknown): void {
    let text: string;
    try {
      text = JSON.stringify({ jsonrpc: "2.0", method, params });
    } catch (err) {
      // A bigint in a payload is a bug upstream; it must not break the loop that fans out to other subscribers.
      this.logger.error({ conn: this.id, method, err }, "ws notification is not serialisable");
      return;
    }
    this.send(text);
  }

  onClose(cb: () => void): void {
    if (this.isClosed) this.runCallback(cb);
    else this.closeCallbacks.push(cb);
  }

  /**
   * Sends a serialised message, always as a text frame (UTF-8 bytes go out as they are); a client that lets
   * megabytes pile up is disconnected.
   */
  send(text: string | Uint8Array): void {
    if (this.isClosed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn({ conn: this.id, buffered: this.ws.bufferedAmount }, "ws client too slow, closing");
      this.ws.close(CLOSE_SLOW_CONSUMER, "slow consumer");
      return;
    }
    this.ws.send(text, { binary: false });
  }

  /** Called once by the server when the socket closes. */
  handleClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const cb of this.closeCallbacks.splice(0)) this.runCallback(cb);
  }

  private runCallback(cb: () => void): void {
    try {
      cb();
    } catch (e) {
      this.logger.error({ conn: this.id, err: e }, "ws onClose callback failed");
    }
  }
}

export function rawDataToBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

export function rawDataToString(data: RawData): string {
  return rawDataToBuffer(data).toString("utf8");
}
