import type { Socket } from "node:net";
import type { ByteQueue } from "./byteQueue.js";
import { CONTROL_CHANNEL } from "./channels.js";
import { P2PError, P2PErrorCode } from "./errors.js";
import { FrameWriter, RECORD_HEADER } from "./frameWriter.js";
import { type CipherState, TAGLEN } from "./noise.js";

const KEEPALIVE = Buffer.from([1]);
/** A retired duplicate is destroyed if the peer has not closed it by then. */
const RETIRE_GRACE_MS = 5_000;

export interface ConnectionLimits {
  /** Largest frame plaintext accepted or sent; a peer sending more is dropped. */
  maxFrameBytes: number;
  /** Bytes queued for a peer (ours plus the socket's) beyond which it counts as a slow consumer and is dropped. */
  maxSendQueueBytes: number;
}

export interface ConnectionEvents {
  message(conn: PeerConnection, channel: number, data: Uint8Array): void;
  /** Frames in and out, as wire bytes. */
  bytes(direction: "in" | "out", n: number): void;
  closed(conn: PeerConnection, reason: string): void;
}

/**
 * One authenticated, encrypted connection after the handshake: frames out through `FrameWriter`,
 * frames in parsed, decrypted and dispatched here. Every frame from the peer is bounded
 * (`maxFrameBytes`) and must decrypt and parse, or the connection is closed as a violation.
 */
export class PeerConnection {
  /** Set by the manager to simulate a partition: traffic both ways is dropped, the socket stays open. */
  blocked = false;
  /** Liveness, sampled by the manager's keepalive tick. */
  receivedSinceTick = false;
  sentSinceTick = false;
  lastSeen = Date.now();
  closeReason: string | null = null;
  /** The peer broke the wire protocol (bad frame, failed decryption): the manager bans it. */
  violation = false;

  private readonly writer: FrameWriter;
  private retiring = false;

  constructor(
    readonly id: string,
    readonly outbound: boolean,
    /** Where the peer accepts connections (its IP as seen here and the port it announced; port 0 = none). */
    readonly remoteHost: string,
    readonly remoteListenPort: number,
    private readonly socket: Socket,
    private readonly queue: ByteQueue,
    sendCipher: CipherState,
    private readonly receiveCipher: CipherState,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
  ) {
    this.writer = new FrameWriter(socket, sendCipher, (n) => events.bytes("out", n));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close("socket_error"));
    socket.on("close", () => this.onClosed());
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  /** Starts reading, including anything that arrived with the last handshake message. */
  start(): void {
    if (this.queue.length > 0) this.onData(null);
    this.socket.resume();
  }

  /** Bytes waiting to be written to this peer. */
  get pendingBytes(): number {
    return this.writer.queuedBytes;
  }

  /** Queues one message. False when the connection is closed or was just dropped as a slow consumer. */
  send(channel: number, data: Uint8Array): boolean {
    if (this.closed || this.retiring) return false;
    if (this.blocked) return true;
    this.writer.push(channel, data);
    this.sentSinceTick = true;
    if (this.writer.queuedBytes > this.limits.maxSendQueueBytes) {
      this.close("slow_peer");
      return false;
    }
    return true;
  }

  /** Hands what is queued to the socket now: for a message that must not wait behind synchronous work. */
  flush(): void {
    if (!this.closed) this.writer.flushNow();
  }

  sendKeepalive(): void {
    this.send(CONTROL_CHANNEL, KEEPALIVE);
  }

  /**
   * Graceful close of a connection replaced by a duplicate: flush what is queued, half-close, and
   * keep reading until the peer closes its side, so nothing already sent on it is lost.
   */
  retire(): void {
    if (this.closed || this.retiring) return;
    this.retiring = true;
    this.writer.end();
    setTimeout(() => this.close("duplicate"), RETIRE_GRACE_MS).unref();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.writer.clear();
    this.socket.destroy();
  }

  private onData(chunk: Buffer | null): void {
    if (chunk) this.queue.push(chunk);
    const maxSealed = this.limits.maxFrameBytes + TAGLEN;
    try {
      while (!this.closed) {
        const len = this.queue.peekUInt(4);
        if (len === null) return;
        if (len > maxSealed || len < TAGLEN) throw new P2PError({ code: P2PErrorCode.PROTOCOL_VIOLATION, reason: "frame_size" });
        if (this.queue.length < 4 + len) return;
        this.queue.skip(4);
        const plaintext = this.receiveCipher.open(this.queue.take(len));
        this.events.bytes("in", 4 + len);
        if (this.blocked) continue;
        this.receivedSinceTick = true;
        this.dispatch(plaintext);
      }
    } catch (e) {
      this.violation = true;
      this.close(e instanceof P2PError && e.type.code === P2PErrorCode.PROTOCOL_VIOLATION ? e.type.reason : "protocol");
    }
  }

  private dispatch(plaintext: Buffer): void {
    let o = 0;
    while (o < plaintext.length && !this.closed) {
      if (plaintext.length - o < RECORD_HEADER) throw malformed();
      const channel = plaintext[o]!;
      const len = plaintext.readUInt32BE(o + 1);
      o += RECORD_HEADER;
      if (len > plaintext.length - o) throw malformed();
      const data = plaintext.subarray(o, o + len);
      o += len;
      if (channel !== CONTROL_CHANNEL) this.events.message(this, channel, data);
    }
  }

  private onClosed(): void {
    if (this.closeReason === null) this.closeReason = this.retiring ? "duplicate" : "closed_by_peer";
    this.queue.clear();
    this.events.closed(this, this.closeReason);
  }
}

function malformed(): P2PError {
  return new P2PError({ code: P2PErrorCode.PROTOCOL_VIOLATION, reason: "malformed_frame" });
}
