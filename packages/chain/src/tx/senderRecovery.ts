import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { bigIntToPaddedBytes, type Logger, RECOVER_ITEM_BYTES } from "@zerog/core";
import { TxError, TxErrorCode } from "../errors.js";
import { type ParsedTx, recoverSender, type SignedTx } from "./transaction.js";

export interface SenderRecoveryOptions {
  /** Worker threads for ECDSA recovery; 0 recovers on the calling thread. Default: cores − 1. */
  workers: number;
}

export const defaultSenderRecoveryOptions: SenderRecoveryOptions = { workers: Math.max(0, availableParallelism() - 1) };

interface Pending {
  tx: ParsedTx;
  resolve: (tx: SignedTx) => void;
  reject: (e: unknown) => void;
}

/**
 * Recovers transaction senders off the main thread (native secp256k1, ~16k/s per core). Requests
 * made in the same tick travel to a worker as one message, so a JSON-RPC batch of raw transactions
 * costs one round trip; results come back in request order.
 */
interface RecoveryWorker {
  worker: Worker;
  /** Batches sent and not yet answered, oldest first (a worker answers in order). */
  inflight: Pending[][];
}

export class SenderRecovery {
  private readonly workers: RecoveryWorker[] = [];
  private pending: Pending[] = [];
  private next = 0;
  private scheduled = false;
  private readonly log: Logger;

  constructor(opts: Partial<SenderRecoveryOptions>, deps: { logger: Logger; workerUrl?: URL }) {
    this.log = deps.logger;
    const n = opts.workers ?? defaultSenderRecoveryOptions.workers;
    const url = deps.workerUrl ?? new URL("./recoveryWorker.js", import.meta.url);
    for (let i = 0; i < n; i++) {
      try {
        const rw: RecoveryWorker = { worker: new Worker(url), inflight: [] };
        rw.worker.unref();
        rw.worker.on("message", (out: Uint8Array) => this.settle(rw.inflight.shift()!, out));
        rw.worker.on("error", (e) => {
          this.log.error({ err: e }, "sender recovery worker failed; recovering inline");
          this.workers.splice(this.workers.indexOf(rw), 1);
          for (const batch of rw.inflight.splice(0)) for (const p of batch) this.recoverInline(p);
        });
        this.workers.push(rw);
      } catch (e) {
        this.log.warn({ err: e }, "cannot start a sender recovery worker; recovering inline");
        break;
      }
    }
  }

  recover(tx: ParsedTx): Promise<SignedTx> {
    return new Promise((resolve, reject) => {
      // Inline, a bad signature rejects as it does through a worker (callers chain on the promise).
      if (this.workers.length === 0) {
        this.recoverInline({ tx, resolve, reject });
        return;
      }
      this.pending.push({ tx, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.workers.length === 0) {
      for (const p of batch) this.recoverInline(p);
      return;
    }
    const buf = new Uint8Array(batch.length * RECOVER_ITEM_BYTES);
    for (const [i, { tx }] of batch.entries()) {
      const o = i * RECOVER_ITEM_BYTES;
      buf.set(tx.signingHash, o);
      buf.set(bigIntToPaddedBytes(tx.r, 32), o + 32);
      buf.set(bigIntToPaddedBytes(tx.s, 32), o + 64);
      buf[o + 96] = recoveryId(tx);
    }
    const rw = this.workers[this.next++ % this.workers.length]!;
    rw.inflight.push(batch);
    rw.worker.postMessage(buf, [buf.buffer]);
  }

  private settle(batch: Pending[], out: Uint8Array): void {
    for (const [i, p] of batch.entries()) {
      const addr = out.subarray(i * 21, i * 21 + 21);
      if (addr[0] === 1) p.resolve(Object.assign(p.tx, { sender: addr.slice(1) }));
      else
        p.reject(
          new TxError(
            { code: TxErrorCode.INVALID_SIGNATURE, reason: "no public key" },
            "invalid transaction signature: signature does not recover to a public key",
          ),
        );
    }
  }

  private recoverInline(p: Pending): void {
    try {
      p.resolve(Object.assign(p.tx, { sender: recoverSender(p.tx) }));
    } catch (e) {
      p.reject(e);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((rw) => rw.worker.terminate()));
    this.workers.length = 0;
  }
}

function recoveryId(tx: ParsedTx): number {
  if (tx.type !== 0) return Number(tx.v);
  return Number(tx.chainId === null ? tx.v - 27n : tx.v - 35n - tx.chainId * 2n);
}
