import type { Socket } from "node:net";
import type { ByteQueue } from "./byteQueue.js";
import { P2PError, P2PErrorCode } from "./errors.js";
import type { X25519KeyPair } from "./nodeKey.js";
import { type CipherState, NoiseXX } from "./noise.js";

/** Version of the payload carried inside the handshake (and of the framing after it). */
export const WIRE_VERSION = 1;
/** Handshake messages are u16-length-prefixed; ours are under 150 bytes, so anything longer is garbage. */
const MAX_HANDSHAKE_MESSAGE = 256;

export interface HandshakeOptions {
  initiator: boolean;
  staticKey: X25519KeyPair;
  prologue: Uint8Array;
  /** Our listen port, told to the peer so it can pass our address on (0 = not listening). */
  listenPort: number;
  /** The id we dialled: the handshake fails before revealing our identity if the responder is someone else. */
  expectedId: string | null;
  timeoutMs: number;
}

export interface HandshakeResult {
  remoteId: string;
  remoteListenPort: number;
  send: CipherState;
  receive: CipherState;
}

/**
 * Runs the XX handshake on a connected socket. Bytes that arrive after the last handshake message
 * stay in `queue` for the connection; the socket is left paused.
 */
export function runHandshake(socket: Socket, queue: ByteQueue, opts: HandshakeOptions): Promise<HandshakeResult> {
  const noise = new NoiseXX({ initiator: opts.initiator, staticKey: opts.staticKey, prologue: opts.prologue });
  const payload = Buffer.alloc(3);
  payload[0] = WIRE_VERSION;
  payload.writeUInt16BE(opts.listenPort, 1);

  return new Promise<HandshakeResult>((resolve, reject) => {
    let settled = false;
    let wroteSecond = false;
    const cleanup = () => {
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onClose);
      socket.pause();
    };
    const fail = (err: P2PError) => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => fail(new P2PError({ code: P2PErrorCode.HANDSHAKE_TIMEOUT, timeoutMs: opts.timeoutMs })), opts.timeoutMs);
    const write = (msg: Buffer) => {
      const framed = Buffer.allocUnsafe(2 + msg.length);
      framed.writeUInt16BE(msg.length);
      msg.copy(framed, 2);
      socket.write(framed);
    };
    const finish = (remotePayload: Buffer) => {
      cleanup();
      const remoteId = noise.remoteStatic!.toString("hex");
      resolve({ remoteId, remoteListenPort: remotePayload.readUInt16BE(1), ...noise.split() });
    };
    const step = (msg: Buffer) => {
      if (opts.initiator) {
        // Message 2: check who answered before sending our own static key in message 3.
        const remotePayload = checkPayload(noise.readMessage(msg));
        const actual = noise.remoteStatic!.toString("hex");
        if (opts.expectedId !== null && actual !== opts.expectedId) {
          return fail(new P2PError({ code: P2PErrorCode.PEER_ID_MISMATCH, expected: opts.expectedId, actual }));
        }
        write(noise.writeMessage(payload));
        return finish(remotePayload);
      }
      if (!wroteSecond) {
        noise.readMessage(msg);
        write(noise.writeMessage(payload));
        wroteSecond = true;
        return;
      }
      finish(checkPayload(noise.readMessage(msg)));
    };
    const onData = (chunk: Buffer) => {
      queue.push(chunk);
      try {
        while (!settled) {
          const len = queue.peekUInt(2);
          if (len === null) return;
          if (len > MAX_HANDSHAKE_MESSAGE) throw failed(`handshake message of ${len} bytes`);
          if (queue.length < 2 + len) return;
          queue.skip(2);
          step(queue.take(len));
        }
      } catch (e) {
        fail(e instanceof P2PError ? e : failed(String(e)));
      }
    };
    const onClose = () => fail(failed("connection closed during the handshake"));
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", onClose);
    if (opts.initiator) write(noise.writeMessage(new Uint8Array(0)));
  });
}

function checkPayload(p: Buffer): Buffer {
  if (p.length < 3) throw failed("handshake payload too short");
  if (p[0] !== WIRE_VERSION) throw failed(`unsupported wire version ${p[0]}`);
  return p;
}

function failed(reason: string): P2PError {
  return new P2PError({ code: P2PErrorCode.HANDSHAKE_FAILED, reason });
}

/** Resolves once a dialled socket is connected; fails on error, close or timeout. */
export function waitConnected(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", done);
      socket.off("close", onClose);
      if (err) reject(new P2PError({ code: P2PErrorCode.HANDSHAKE_FAILED, reason: `connect: ${err.message}` }));
      else resolve();
    };
    const onConnect = () => done();
    const onClose = () => done(new Error("closed"));
    const timer = setTimeout(() => done(new Error("timeout")), timeoutMs);
    socket.once("connect", onConnect);
    socket.once("error", done);
    socket.once("close", onClose);
  });
}
