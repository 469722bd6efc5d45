import WebSocket from "ws";

export interface Head {
  number: number;
  hash: string;
  stateRoot: string;
}

/**
 * A `newHeads` subscription over a raw WebSocket: lets a test await the next block as an event
 * instead of sleeping. Survives its node dying (it just stops receiving); `close()` ends it.
 */
export class HeadWatcher {
  readonly heads: Head[] = [];
  private readonly ws: WebSocket;
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as { method?: string; params?: { result: Record<string, string> } };
      if (msg.method !== "eth_subscription" || !msg.params) return;
      const h = msg.params.result;
      this.heads.push({ number: Number(h.number), hash: h.hash!, stateRoot: h.stateRoot! });
      this.wakeAll();
    });
    ws.on("close", () => {
      this.closed = true;
      this.wakeAll();
    });
    ws.on("error", () => {});
  }

  static async open(wsUrl: string): Promise<HeadWatcher> {
    const ws = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const watcher = new HeadWatcher(ws);
    const subscribed = new Promise<void>((resolve, reject) => {
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(data.toString()) as { id?: number; result?: string; error?: { message: string } };
        if (msg.id !== 1) return;
        ws.off("message", onMessage);
        if (msg.error) reject(new Error(`eth_subscribe newHeads failed: ${msg.error.message}`));
        else resolve();
      };
      ws.on("message", onMessage);
    });
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
    await subscribed;
    return watcher;
  }

  get latest(): number {
    return this.heads.length === 0 ? -1 : this.heads[this.heads.length - 1]!.number;
  }

  /** Resolves with the first head numbered above `n` (at once if there is one); rejects on timeout or close. */
  waitAbove(n: number, timeoutMs = 15_000): Promise<Head> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const h = this.heads.find((x) => x.number > n);
        if (h) {
          clearTimeout(timer);
          resolve(h);
          return true;
        }
        if (this.closed) {
          clearTimeout(timer);
          reject(new Error("the newHeads WebSocket closed"));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no block above ${n} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = () => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }
}
