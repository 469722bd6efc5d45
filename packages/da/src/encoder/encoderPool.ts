import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { DaError, DaErrorCode } from "../errors.js";
import { dataRootOf } from "./dataRoot.js";
import { type EncodedBlob, type EncodedRow, encodeRow } from "./encodeBlob.js";
import { DEFAULT_KZG_PRECOMPUTE } from "./kzg.js";
import { blobToRows } from "./layout.js";
import { BYTES_PER_CELL, BYTES_PER_PROOF, CELLS_PER_ROW } from "./params.js";

export interface EncoderPoolOptions {
  /** Encoder threads (each loads its own copy of the trusted setup, ~2–3 s and ~20 MB); 0 encodes on the caller's. */
  workers: number;
  /** c-kzg precompute level of each thread's setup. */
  precompute: number;
}

export const defaultEncoderPoolOptions: EncoderPoolOptions = { workers: availableParallelism(), precompute: DEFAULT_KZG_PRECOMPUTE };

interface Job {
  id: number;
  row: Uint8Array;
  resolve: (r: EncodedRow) => void;
  reject: (e: unknown) => void;
}

interface EncoderThread {
  worker: Worker;
  job: Job | undefined;
}

/**
 * Encodes blobs with every core: a blob's rows are independent (commitment ~55 ms, cells and proofs ~215 ms each),
 * so they are queued and each thread takes the next row as it finishes one. Rows of concurrent blobs interleave.
 */
export class EncoderPool {
  private readonly options: EncoderPoolOptions;
  private readonly workerUrl: URL;
  private readonly threads: EncoderThread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(options: Partial<EncoderPoolOptions> = {}, deps: { workerUrl?: URL } = {}) {
    this.options = { ...defaultEncoderPoolOptions, ...options };
    this.workerUrl = deps.workerUrl ?? new URL("./encodeWorker.js", import.meta.url);
  }

  /** Starts the threads and waits until each has loaded the trusted setup. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.workers }, () => this.startThread()));
  }

  private startThread(): Promise<void> {
    return new Promise((resolve, reject) => {
      // execArgv []: the thread loads the built JavaScript with Node's own resolution, whatever flags the parent runs
      // with (a test runner's `--conditions=source` would point it at TypeScript sources).
      const worker = new Worker(this.workerUrl, { workerData: { precompute: this.options.precompute }, execArgv: [] });
      const thread: EncoderThread = { worker, job: undefined };
      let ready = false;
      worker.once("message", (m: { ready: boolean; error?: string }) => {
        ready = m.ready;
        if (!m.ready) {
          void worker.terminate();
          reject(unavailable(`an encoder thread could not load the trusted setup: ${m.error}`));
          return;
        }
        this.threads.push(thread);
        worker.on("message", (r: { id: number; error?: string; commitment: Uint8Array; cells: Uint8Array; proofs: Uint8Array }) =>
          this.finish(thread, r),
        );
        this.dispatch();
        resolve();
      });
      worker.on("error", (e) => {
        if (!ready) reject(unavailable(`an encoder thread failed to start: ${e.message}`));
        else this.fail(thread, e);
      });
      worker.on("exit", (code) => {
        if (!ready) reject(unavailable(`an encoder thread exited with code ${code} while starting`));
        else if (!this.closed) this.fail(thread, new Error(`exited with code ${code}`));
      });
    });
  }

  async encode(data: Uint8Array): Promise<EncodedBlob> {
    const rows = blobToRows(data);
    const encoded = this.options.workers === 0 ? rows.map(encodeRow) : await Promise.all(rows.map((row) => this.submit(row)));
    return { size: data.length, dataRoot: dataRootOf(encoded.map((r) => r.commitment)), rows: encoded };
  }

  private submit(row: Uint8Array): Promise<EncodedRow> {
    if (this.closed) return Promise.reject(unavailable("the encoder pool is stopped"));
    if (this.threads.length === 0) return Promise.reject(unavailable("no encoder thread is running (start() not called, or all failed)"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, row, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const t of this.threads) {
      if (t.job || this.queue.length === 0) continue;
      t.job = this.queue.shift()!;
      t.worker.postMessage({ id: t.job.id, row: t.job.row });
    }
  }

  private finish(t: EncoderThread, r: { id: number; error?: string; commitment: Uint8Array; cells: Uint8Array; proofs: Uint8Array }): void {
    const job = t.job;
    t.job = undefined;
    if (job && job.id === r.id) {
      if (r.error !== undefined) job.reject(unavailable(`encoding a row failed: ${r.error}`));
      else {
        const cells = Array.from({ length: CELLS_PER_ROW }, (_, k) => r.cells.subarray(k * BYTES_PER_CELL, (k + 1) * BYTES_PER_CELL));
        const proofs = Array.from({ length: CELLS_PER_ROW }, (_, k) => r.proofs.subarray(k * BYTES_PER_PROOF, (k + 1) * BYTES_PER_PROOF));
        job.resolve({ commitment: new Uint8Array(r.commitment), cells, proofs });
      }
    }
    this.dispatch();
  }

  /** A thread died: its row goes back to the queue for the others; with none left, everything queued fails. */
  private fail(t: EncoderThread, e: Error): void {
    const k = this.threads.indexOf(t);
    if (k >= 0) this.threads.splice(k, 1);
    if (t.job) this.queue.unshift(t.job);
    t.job = undefined;
    if (this.threads.length === 0)
      for (const job of this.queue.splice(0)) job.reject(unavailable(`every encoder thread failed; last: ${e.message}`));
    else this.dispatch();
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(unavailable("the encoder pool stopped"));
    const threads = this.threads.splice(0);
    for (const t of threads) t.job?.reject(unavailable("the encoder pool stopped"));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

function unavailable(detail: string): DaError {
  return new DaError({ code: DaErrorCode.ENCODER_UNAVAILABLE, detail }, detail);
}
