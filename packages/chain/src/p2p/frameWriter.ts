import type { Socket } from "node:net";
import type { CipherState } from "./noise.js";

/** Each message inside a frame: channel (1 byte) ‖ length (u32 BE) ‖ bytes. */
export const RECORD_HEADER = 5;
/** Small messages queued in the same event-loop turn share one frame (one AEAD call, one write)... */
const BATCH_BYTES = 64 * 1024;
const FIRST_BATCH_BYTES = 4 * 1024;
/** ...larger ones get a frame of their own, encrypted straight from the caller's bytes (no copy). */
const LARGE_RECORD = 16 * 1024;
/** Frames up to this size are written as one buffer; larger ones as pieces (writev), not copied. */
const COPY_LIMIT = 16 * 1024;

/**
 * The sending half of a connection. Wire frame: u32 BE length ‖ ChaCha20-Poly1305(records) ‖ tag.
 * Records are copied or encrypted at `push` (callers may reuse their bytes) and written in
 * `setImmediate`. While the socket wants a drain nothing is written: records keep coalescing and
 * sealed frames wait here, counted in `queuedBytes` so the owner can drop a slow consumer.
 */
export class FrameWriter {
  private batch: Buffer | null = null;
  private batchUsed = 0;
  private spare: Buffer | null = null;
  private ready: Buffer[][] = [];
  private readyBytes = 0;
  private scheduled = false;
  private ending = false;

  constructor(
    private readonly socket: Socket,
    private readonly cipher: CipherState,
    private readonly onWritten: (bytes: number) => void,
  ) {
    socket.on("drain", this.flush);
  }

  /** Bytes not yet handed to the kernel. */
  get queuedBytes(): number {
    return this.batchUsed + this.readyBytes + this.socket.writableLength;
  }

  push(channel: number, data: Uint8Array): void {
    const need = RECORD_HEADER + data.length;
    if (need > LARGE_RECORD) {
      this.sealBatch(); // keep wire order
      const header = Buffer.allocUnsafe(RECORD_HEADER);
      header[0] = channel;
      header.writeUInt32BE(data.length, 1);
      this.enqueue(this.cipher.encryptParts([header, data]));
    } else {
      const buf = this.batchWithRoom(need);
      const o = this.batchUsed;
      buf[o] = channel;
      buf.writeUInt32BE(data.length, o + 1);
      buf.set(data, o + RECORD_HEADER);
      this.batchUsed = o + need;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is queued now rather than at the end of this event-loop turn (backpressure still applies). */
  flushNow(): void {
    this.flush();
  }

  /** Writes everything queued regardless of backpressure, then half-closes the socket. */
  end(): void {
    this.ending = true;
    this.flush();
    this.socket.end();
  }

  clear(): void {
    this.batch = this.spare = null;
    this.batchUsed = this.readyBytes = 0;
    this.ready = [];
  }

  private batchWithRoom(need: number): Buffer {
    let buf = this.batch;
    if (buf && this.batchUsed + need > buf.length) {
      if (this.batchUsed + need <= BATCH_BYTES) {
        const grown = Buffer.allocUnsafe(Math.min(BATCH_BYTES, Math.max(2 * buf.length, this.batchUsed + need)));
        buf.copy(grown, 0, 0, this.batchUsed);
        this.batch = buf = grown;
      } else {
        this.sealBatch();
        buf = null;
      }
    }
    if (!buf) {
      buf = this.spare && this.spare.length >= need ? this.spare : Buffer.allocUnsafe(Math.max(FIRST_BATCH_BYTES, need));
      this.spare = null;
      this.batch = buf;
      this.batchUsed = 0;
    }
    return buf;
  }

  private sealBatch(): void {
    if (!this.batch || this.batchUsed === 0) return;
    this.enqueue(this.cipher.encryptParts([this.batch.subarray(0, this.batchUsed)]));
    this.spare = this.batch;
    this.batch = null;
    this.batchUsed = 0;
  }

  private enqueue(sealed: Buffer[]): void {
    let n = 0;
    for (const b of sealed) n += b.length;
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(n);
    this.ready.push([length, ...sealed]);
    this.readyBytes += 4 + n;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.socket.destroyed || (!this.ending && this.socket.writableNeedDrain)) return;
    this.sealBatch();
    let i = 0;
    for (; i < this.ready.length && (this.ending || !this.socket.writableNeedDrain); i++) {
      const frame = this.ready[i]!;
      let n = 0;
      for (const b of frame) n += b.length;
      this.readyBytes -= n;
      this.onWritten(n);
      if (n <= COPY_LIMIT) {
        this.socket.write(Buffer.concat(frame, n));
      } else {
        this.socket.cork();
        for (const b of frame) this.socket.write(b);
        this.socket.uncork();
      }
    }
    this.ready = i === this.ready.length ? [] : this.ready.slice(i);
  };
}
