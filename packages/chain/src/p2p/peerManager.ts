import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import type { Logger } from "@zerog/core";
import { ByteQueue } from "./byteQueue.js";
import { Channel, Verdict } from "./channels.js";
import { type ConnectionEvents, PeerConnection } from "./connection.js";
import { P2PError, P2PErrorCode } from "./errors.js";
import { RECORD_HEADER } from "./frameWriter.js";
import { runHandshake, waitConnected } from "./handshake.js";
import { keyPairFromSecret, type X25519KeyPair } from "./nodeKey.js";
import type { CipherState } from "./noise.js";
import { P2PMetrics } from "./p2pMetrics.js";
import { normalizeHost, type PeerAddress, parsePeerAddress, shortId } from "./peerAddress.js";
import { PeerBook } from "./peerBook.js";
import {
  defaultPeerManagerOptions,
  type MessageHandler,
  type PeerInfo,
  type PeerListener,
  type PeerManagerDeps,
  type PeerManagerOptions,
} from "./peerManagerOptions.js";
import { PersistentPeers } from "./persistentPeers.js";
import { PexService } from "./pexService.js";

/** Reasons a completed handshake is not admitted. */
type Refusal = "self" | "banned" | "blocked" | "duplicate" | "max_peers" | "stopping";

/**
 * Encrypted, authenticated connections to other nodes: plain TCP, a Noise XX handshake that proves
 * each side's node key, then length-prefixed ChaCha20-Poly1305 frames carrying channel-tagged
 * messages (see README.md for why not libp2p). One connection per peer pair; every size and count
 * coming from the network is bounded, and a peer that misbehaves is scored down and banned.
 */
export class PeerManager {
  readonly id: string;
  private readonly opts: PeerManagerOptions;
  private readonly log: Logger;
  private readonly metrics: P2PMetrics | null;
  private readonly staticKey: X25519KeyPair;
  private readonly prologue: Buffer;
  private readonly book: PeerBook;
  private readonly pex: PexService;
  private readonly persistent: PersistentPeers;
  private readonly seeds: PeerAddress[];
  private readonly conns = new Map<string, PeerConnection>();
  private readonly pending = new Set<Socket>();
  private readonly dialing = new Set<string>();
  private readonly blocked = new Set<string>();
  private readonly handlers = new Map<number, MessageHandler>();
  private readonly listeners = new Set<PeerListener>();
  private readonly closedWaiters = new Map<PeerConnection, () => void>();
  private server: Server | null = null;
  private bound: { host: string; port: number };
  private running = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly events: ConnectionEvents;

  constructor(
    options: Partial<PeerManagerOptions>,
    private readonly deps: PeerManagerDeps,
  ) {
    this.opts = { ...defaultPeerManagerOptions, ...options };
    this.staticKey = keyPairFromSecret(deps.nodeKey);
    this.id = this.staticKey.publicKey.toString("hex");
    this.log = deps.logger;
    this.metrics = deps.metrics ? new P2PMetrics(deps.metrics) : null;
    this.prologue = Buffer.from(`zerog-p2p/1/${this.opts.networkId}`, "utf8");
    this.bound = { ...this.opts.listen };
    this.book = new PeerBook(this.opts);
    const persistent = this.opts.persistentPeers.map(parsePeerAddress).filter((a) => a.id !== this.id);
    this.persistent = new PersistentPeers(persistent, this.opts, (a) => this.dialPersistent(a));
    this.seeds = this.opts.seeds.map(parsePeerAddress).filter((a) => a.id !== this.id);
    for (const a of [...this.seeds, ...this.persistent.addresses()]) this.book.add(a, true);
    this.pex = new PexService({
      intervalMs: this.opts.pexIntervalMs,
      connections: () => this.conns.values(),
      send: (id, data) => this.sendInternal(id, Channel.PEX, data),
      learn: (a) => {
        if (a.id !== this.id) this.book.add(a);
      },
      learned: () => this.fillPeers(),
    });
    this.events = {
      message: (conn, channel, data) => this.onConnMessage(conn, channel, data),
      bytes: (direction, n) => this.metrics?.addBytes(direction, n),
      closed: (conn, reason) => this.onConnClosed(conn, reason),
    };
  }

  /** `id@host:port` of this node (the bound port once started). */
  get address(): string {
    return `${this.id}@${this.bound.host}:${this.bound.port}`;
  }

  get listenAddress(): { host: string; port: number } {
    return { ...this.bound };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const server = createServer({ noDelay: true }, (socket) => this.onInbound(socket));
    this.server = server;
    const { host, port } = this.opts.listen;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", (e) => reject(new P2PError({ code: P2PErrorCode.LISTEN_FAILED, host, port, reason: e.message })));
        server.listen(port, host, () => resolve());
      });
    } catch (e) {
      this.running = false;
      this.server = null;
      throw e;
    }
    server.on("error", (e) => this.log.warn({ err: e.message }, "p2p listener error"));
    const info = server.address() as AddressInfo;
    this.bound = { host: info.address, port: info.port };
    this.log.info({ address: this.address }, "p2p listening");
    this.timers.push(setInterval(() => this.keepaliveTick(), this.opts.keepaliveIntervalMs).unref());
    this.timers.push(setInterval(() => this.pexTick(), this.opts.pexIntervalMs).unref());
    for (const a of this.persistent.addresses()) this.dialPersistent(a);
    for (const s of this.seeds) this.dialQuietly(s);
    this.deps.signal?.addEventListener("abort", () => void this.stop(), { once: true });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.persistent.cancelAll();
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    const closing = [...this.conns.values()].map((c) => this.whenClosed(c));
    for (const c of this.conns.values()) c.close("stopping");
    const server = this.server;
    this.server = null;
    await Promise.all([...closing, new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))]);
    this.log.info("p2p stopped");
  }

  /** Connected peers with their scores. */
  peers(): PeerInfo[] {
    return [...this.conns.values()].map((c) => ({
      id: c.id,
      score: this.book.score(c.id),
      outbound: c.outbound,
      address: c.remoteListenPort > 0 ? `${c.id}@${c.remoteHost}:${c.remoteListenPort}` : null,
    }));
  }

  /** Queues `data` for one peer. False if the peer is not connected (or was just dropped as too slow). */
  send(peerId: string, channel: number, data: Uint8Array): boolean {
    this.checkOutgoing(channel, data);
    return this.sendInternal(peerId, channel, data);
  }

  /** Queues `data` for every connected peer but `except`; returns how many peers it was queued for. */
  broadcast(channel: number, data: Uint8Array, except?: string): number {
    this.checkOutgoing(channel, data);
    let n = 0;
    for (const c of this.conns.values()) {
      if (c.id !== except && c.send(channel, data)) {
        n++;
        this.metrics?.addMessage(channel, "out");
      }
    }
    return n;
  }

  /**
   * Writes every connection's queued messages now. Messages otherwise leave at the end of the current
   * event-loop turn (so that those queued together share a frame), which is late when the caller goes
   * on with long synchronous work.
   */
  flush(): void {
    for (const c of this.conns.values()) c.flush();
  }

  /** Sets the handler of a channel (one per channel; PEX is handled here). Returns a function that removes it. */
  onMessage(channel: number, handler: MessageHandler): () => void {
    this.checkChannel(channel);
    this.handlers.set(channel, handler);
    return () => {
      if (this.handlers.get(channel) === handler) this.handlers.delete(channel);
    };
  }

  onPeer(listener: PeerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A verdict reached after the handler returned (for example after an asynchronous signature check). */
  report(peerId: string, verdict: Verdict): void {
    if (verdict === Verdict.REJECT) this.penalize(peerId, this.opts.rejectPenalty, "verdict");
    else if (verdict === Verdict.ACCEPT) this.book.adjust(peerId, this.opts.acceptReward);
  }

  /** Fault injection: drop all traffic with a peer both ways, keeping the connection (and refusing new ones). */
  setBlocked(peerId: string, blocked: boolean): void {
    if (blocked) this.blocked.add(peerId);
    else this.blocked.delete(peerId);
    const c = this.conns.get(peerId);
    if (c) c.blocked = blocked;
  }

  /** Closes the connection to a peer (a persistent peer is redialled). */
  disconnect(peerId: string): void {
    this.conns.get(peerId)?.close("local");
  }

  /** Dials `id@host:port` once; resolves with the peer id once connected (also when a connection already existed). */
  async connect(address: string): Promise<string> {
    const a = parsePeerAddress(address);
    this.book.add(a);
    const refusal = await this.dial(a);
    if (refusal !== null && refusal !== "duplicate") throw new P2PError({ code: P2PErrorCode.PEER_REFUSED, id: a.id, reason: refusal });
    return a.id;
  }

  private checkChannel(channel: number): void {
    if (!Number.isInteger(channel) || channel < 1 || channel > 255) throw new P2PError({ code: P2PErrorCode.INVALID_CHANNEL, channel });
  }

  private checkOutgoing(channel: number, data: Uint8Array): void {
    this.checkChannel(channel);
    const max = this.opts.maxFrameBytes - RECORD_HEADER;
    if (data.length > max) throw new P2PError({ code: P2PErrorCode.MESSAGE_TOO_LARGE, size: data.length, max });
  }

  private sendInternal(peerId: string, channel: number, data: Uint8Array): boolean {
    const c = this.conns.get(peerId);
    if (!c?.send(channel, data)) return false;
    this.metrics?.addMessage(channel, "out");
    return true;
  }

  // --- connections ---------------------------------------------------------------------------

  private onInbound(socket: Socket): void {
    socket.on("error", () => {});
    if (!this.running || this.pending.size >= this.opts.maxPendingHandshakes) {
      this.metrics?.reject("pending_limit");
      socket.destroy();
      return;
    }
    this.pending.add(socket);
    const queue = new ByteQueue();
    runHandshake(socket, queue, this.handshakeOptions(false, null)).then(
      (r) => {
        this.pending.delete(socket);
        this.admit(socket, queue, r.remoteId, r.remoteListenPort, r.send, r.receive, false);
      },
      (e: unknown) => {
        this.pending.delete(socket);
        this.refuseHandshake(socket, e);
      },
    );
  }

  /** Dials and handshakes; resolves with null when admitted or the reason it was not, rejects on failure. */
  private async dial(a: PeerAddress): Promise<Refusal | null> {
    const socket = connect({ host: a.host, port: a.port, noDelay: true });
    socket.on("error", () => {});
    this.pending.add(socket);
    this.dialing.add(a.id);
    const queue = new ByteQueue();
    try {
      const started = Date.now();
      await waitConnected(socket, this.opts.handshakeTimeoutMs);
      const timeoutMs = Math.max(1, this.opts.handshakeTimeoutMs - (Date.now() - started));
      const r = await runHandshake(socket, queue, { ...this.handshakeOptions(true, a.id), timeoutMs });
      this.book.dialSucceeded(a.id);
      return this.admit(socket, queue, r.remoteId, r.remoteListenPort, r.send, r.receive, true, a.host);
    } catch (e) {
      this.book.dialFailed(a.id);
      this.refuseHandshake(socket, e);
      throw e;
    } finally {
      this.pending.delete(socket);
      this.dialing.delete(a.id);
    }
  }

  private handshakeOptions(initiator: boolean, expectedId: string | null) {
    return {
      initiator,
      staticKey: this.staticKey,
      prologue: this.prologue,
      listenPort: this.bound.port,
      expectedId,
      timeoutMs: this.opts.handshakeTimeoutMs,
    };
  }

  private refuseHandshake(socket: Socket, e: unknown): void {
    socket.destroy();
    const code = e instanceof P2PError ? e.type.code : "";
    const reason =
      code === P2PErrorCode.HANDSHAKE_TIMEOUT ? "handshake_timeout" : code === P2PErrorCode.PEER_ID_MISMATCH ? "id_mismatch" : "handshake";
    this.metrics?.reject(reason);
    this.log.debug({ reason, err: e instanceof Error ? e.message : String(e) }, "p2p handshake failed");
  }

  private admit(
    socket: Socket,
    queue: ByteQueue,
    id: string,
    listenPort: number,
    send: CipherState,
    receive: CipherState,
    outbound: boolean,
    dialledHost?: string,
  ): Refusal | null {
    const refusal = this.refusal(id, outbound);
    if (refusal !== null) {
      this.metrics?.reject(refusal);
      socket.destroy();
      this.log.debug({ peer: shortId(id), refusal }, "p2p connection refused");
      return refusal;
    }
    const existing = this.conns.get(id);
    if (existing) {
      // The replaced connection is retired (drained, then closed) by the end that learns last that
      // both ends switched: the responder of the new one. Neither end sees a disconnect.
      if (!outbound) existing.retire();
      else setTimeout(() => existing.retire(), this.opts.handshakeTimeoutMs).unref();
      this.metrics?.reject("duplicate");
    }
    const host = dialledHost ?? normalizeHost(socket.remoteAddress ?? "");
    const conn = new PeerConnection(id, outbound, host, listenPort, socket, queue, send, receive, this.opts, this.events);
    conn.blocked = this.blocked.has(id);
    this.conns.set(id, conn);
    this.persistent.connected(id);
    if (!existing) {
      this.metrics?.peers.set(this.conns.size);
      this.log.debug({ peer: shortId(id), outbound }, "p2p peer connected");
      // Listeners hear of the peer before its first message is dispatched (reading starts below).
      this.emit(id, "connected");
      if (this.conns.size < this.opts.maxPeers) this.pex.request(id);
    }
    conn.start();
    return null;
  }

  private refusal(id: string, outbound: boolean): Refusal | null {
    if (!this.running) return "stopping";
    if (id === this.id) return "self";
    if (this.book.isBanned(id, Date.now())) return "banned";
    if (this.blocked.has(id)) return "blocked";
    const existing = this.conns.get(id);
    if (existing) {
      // Both ends apply the same rule, so they keep the same connection: of two in opposite
      // directions the one dialled by the lower id survives; of two in the same direction the newer
      // (the dialler evidently lost the old one).
      const newInitiator = outbound ? this.id : id;
      const keepNew = existing.outbound === outbound || newInitiator === (this.id < id ? this.id : id);
      return keepNew ? null : "duplicate";
    }
    if (this.conns.size >= this.opts.maxPeers && !this.persistent.has(id)) return "max_peers";
    return null;
  }

  private onConnMessage(conn: PeerConnection, channel: number, data: Uint8Array): void {
    this.metrics?.addMessage(channel, "in");
    if (channel === Channel.PEX) {
      const v = this.pex.handle(conn, data);
      if (v === Verdict.REJECT) this.penalize(conn.id, this.opts.rejectPenalty, "pex");
      return;
    }
    const handler = this.handlers.get(channel);
    if (!handler) return;
    let verdict: unknown;
    try {
      verdict = handler(conn.id, data);
    } catch (e) {
      this.log.warn({ channel, err: e instanceof Error ? e.message : String(e) }, "p2p message handler threw");
      return;
    }
    if (verdict === Verdict.REJECT) this.penalize(conn.id, this.opts.rejectPenalty, "verdict");
    else if (verdict === Verdict.ACCEPT) this.book.adjust(conn.id, this.opts.acceptReward);
  }

  private onConnClosed(conn: PeerConnection, reason: string): void {
    this.closedWaiters.get(conn)?.();
    this.closedWaiters.delete(conn);
    if (conn.violation) this.penalize(conn.id, Number.POSITIVE_INFINITY, reason);
    else if (reason === "slow_peer" || reason === "timeout") this.metrics?.reject(reason);
    if (this.conns.get(conn.id) !== conn) return;
    this.conns.delete(conn.id);
    this.pex.forget(conn.id);
    this.book.forgetScore(conn.id);
    this.metrics?.peers.set(this.conns.size);
    this.log.debug({ peer: shortId(conn.id), reason }, "p2p peer disconnected");
    this.emit(conn.id, "disconnected");
    if (this.running) this.persistent.schedule(conn.id);
  }

  private penalize(id: string, amount: number, reason: string): void {
    this.metrics?.reject(reason);
    this.book.adjust(id, -amount);
    if (!this.book.belowThreshold(id)) return;
    this.book.ban(id, Date.now());
    this.metrics?.reject("banned");
    this.log.debug({ peer: shortId(id), reason }, "p2p peer banned");
    this.conns.get(id)?.close("banned");
  }

  private emit(id: string, status: "connected" | "disconnected"): void {
    for (const l of this.listeners) {
      try {
        l(id, status);
      } catch (e) {
        this.log.warn({ err: e instanceof Error ? e.message : String(e) }, "p2p peer listener threw");
      }
    }
  }

  private whenClosed(conn: PeerConnection): Promise<void> {
    return new Promise((resolve) => this.closedWaiters.set(conn, resolve));
  }

  // --- dialling, reconnects, PEX ---------------------------------------------------------------

  private dialPersistent(a: PeerAddress): void {
    if (!this.running || this.conns.has(a.id) || this.dialing.has(a.id)) return;
    const retry = () => {
      if (this.running && !this.conns.has(a.id)) this.persistent.schedule(a.id);
    };
    this.dial(a).then((refusal) => {
      if (refusal !== null) retry();
    }, retry);
  }

  private dialQuietly(a: PeerAddress): void {
    if (!this.running || this.conns.has(a.id) || this.dialing.has(a.id) || a.id === this.id) return;
    if (this.blocked.has(a.id) || this.book.isBanned(a.id, Date.now())) return;
    this.dial(a).catch(() => {});
  }

  /** Dials known addresses while there is room. */
  private fillPeers(): void {
    let room = this.opts.maxPeers - this.conns.size - this.dialing.size;
    for (const a of this.book.candidates()) {
      if (room <= 0) return;
      if (this.conns.has(a.id) || this.dialing.has(a.id) || this.persistent.has(a.id)) continue;
      this.dialQuietly(a);
      if (this.dialing.has(a.id)) room--;
    }
  }

  private pexTick(): void {
    if (this.conns.size >= this.opts.maxPeers) return;
    this.fillPeers();
    if (this.conns.size === 0) for (const s of this.seeds) this.dialQuietly(s);
    else this.pex.requestRandom();
  }

  private keepaliveTick(): void {
    const now = Date.now();
    for (const c of this.conns.values()) {
      if (c.receivedSinceTick) {
        c.lastSeen = now;
        c.receivedSinceTick = false;
      } else if (now - c.lastSeen > this.opts.idleTimeoutMs) {
        c.close("timeout");
        continue;
      }
      if (!c.sentSinceTick) c.sendKeepalive();
      c.sentSinceTick = false;
    }
  }
}
