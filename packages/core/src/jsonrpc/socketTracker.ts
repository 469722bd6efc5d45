import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * Counts in-flight requests per HTTP socket so `stop()` can drop every idle one at once. Node's own
 * `closeIdleConnections` misses sockets a client opened but never used (undici and browsers
 * pre-connect), which would hold `server.close()` until the client's keep-alive timeout.
 * Upgraded (WebSocket) sockets leave the tracker: the server closes those itself.
 */
export class SocketTracker {
  private readonly inFlight = new Map<Socket, number>();

  attach(server: Server): void {
    server.on("connection", (socket: Socket) => {
      this.inFlight.set(socket, 0);
      socket.once("close", () => this.inFlight.delete(socket));
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
      res.once("close", () => {
        const n = this.inFlight.get(socket);
        if (n !== undefined) this.inFlight.set(socket, n - 1);
      });
    });
    server.on("upgrade", (req: IncomingMessage) => this.inFlight.delete(req.socket));
  }

  destroyIdle(): void {
    for (const [socket, n] of this.inFlight) if (n === 0) socket.destroy();
  }

  destroyAll(): void {
    for (const socket of this.inFlight.keys()) socket.destroy();
  }
}
