import { Worker } from "node:worker_threads";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import { AsyncQueue } from "./asyncQueue.js";
import type { IntModel } from "./model.js";
import type { RuntimeRequest } from "./request.js";
import type { ResponseMeta } from "./response.js";

interface Job {
  id: number;
  req: RuntimeRequest;
  meta: ResponseMeta;
  queue: AsyncQueue<Uint8Array>;
}

interface Thread {
  worker: Worker;
  job: Job | undefined;
}

type WorkerMessage = { id: number; piece: Uint8Array } | { id: number; done: true } | { id: number; error: string };

/**
 * Generation on worker threads, one request per thread at a time: concurrent requests use every core. Each thread
 * loads the same weights bytes (checked against the same sha256), and runs the same code as the calling thread, so an
 * answer's bytes do not depend on where it ran.
 */
export class RuntimePool {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly workers: number,
    private readonly model: IntModel,
    private readonly workerUrl: URL,
  ) {}

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.workers }, () => this.startThread()));
  }

  private startThread(): Promise<void> {
    return new Promise((resolve, reject) => {
      // execArgv []: the thread runs the built JavaScript whatever flags the parent has (a test runner's
      // `--conditions=source` would point it at TypeScript sources).
      const worker = new Worker(this.workerUrl, { workerData: { weights: this.model.weights, sha256: this.model.sha256 }, execArgv: [] });
      const thread: Thread = { worker, job: undefined };
      let ready = false;
      worker.once("message", (m: { ready: boolean; error?: string }) => {
        if (!m.ready) {
          void worker.terminate();
          reject(failed(`a runtime thread could not load the model: ${m.error}`));
          return;
        }
        ready = true;
        this.threads.push(thread);
        worker.on("message", (r: WorkerMessage) => this.receive(thread, r));
        this.dispatch();
        resolve();
      });
      worker.on("error", (e) => (ready ? this.lose(thread, e.message) : reject(failed(`a runtime thread failed to start: ${e.message}`))));
      worker.on("exit", (code) => {
        if (!ready) reject(failed(`a runtime thread exited with code ${code} while starting`));
        else if (!this.closed) this.lose(thread, `exited with code ${code}`);
      });
    });
  }

  /** The response body's pieces, as the thread produces them; leaving the loop early (or `signal`) cancels. */
  run(req: RuntimeRequest, meta: ResponseMeta, signal: AbortSignal): AsyncIterable<Uint8Array> {
    const id = this.nextId++;
    const queue = new AsyncQueue<Uint8Array>(() => this.cancel(id));
    if (this.closed || this.threads.length === 0)
      queue.fail(failed(this.closed ? "the runtime pool is stopped" : "no runtime thread is running"));
    else {
      this.queue.push({ id, req, meta, queue });
      signal.addEventListener("abort", () => this.cancel(id), { once: true });
      this.dispatch();
    }
    return queue;
  }

  private dispatch(): void {
    for (const t of this.threads) {
      if (t.job || this.queue.length === 0) continue;
      t.job = this.queue.shift()!;
      t.worker.postMessage({ id: t.job.id, req: t.job.req, meta: t.job.meta });
    }
  }

  private receive(t: Thread, r: WorkerMessage): void {
    const job = t.job;
    if (!job || job.id !== r.id) return;
    if ("piece" in r) {
      job.queue.push(r.piece);
      return;
    }
    if ("error" in r) job.queue.fail(failed(r.error));
    else job.queue.end();
    t.job = undefined;
    this.dispatch();
  }

  private cancel(id: number): void {
    const k = this.queue.findIndex((j) => j.id === id);
    if (k >= 0) this.queue.splice(k, 1)[0]!.queue.end();
    for (const t of this.threads) if (t.job?.id === id) t.worker.postMessage({ cancel: id });
  }

  /** A thread died: its request fails (its answer was partly sent); with no thread left, so does everything queued. */
  private lose(t: Thread, why: string): void {
    const k = this.threads.indexOf(t);
    if (k >= 0) this.threads.splice(k, 1);
    t.job?.queue.fail(failed(`a runtime thread died: ${why}`));
    t.job = undefined;
    if (this.threads.length === 0)
      for (const job of this.queue.splice(0)) job.queue.fail(failed(`every runtime thread died; last: ${why}`));
    else this.dispatch();
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.queue.fail(failed("the runtime pool stopped"));
    const threads = this.threads.splice(0);
    for (const t of threads) t.job?.queue.fail(failed("the runtime pool stopped"));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

function failed(detail: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.BACKEND_FAILED, detail }, detail);
}
