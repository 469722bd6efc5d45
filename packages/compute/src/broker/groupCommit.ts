import type { BatchOp, KVStore } from "@zerog/core";
import { ComputeError, ComputeErrorCode } from "../errors.js";

/**
 * Group commit: writes that arrive while a write transaction is being committed wait and go together in the next one,
 * so under load there is one LMDB transaction per batch of requests instead of one per request, and each caller is
 * answered only once its writes are durable. Writes are applied in the order they were asked for.
 */
export class GroupCommit {
  private ops: BatchOp[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private halted = false;
  /** Committed transactions and the writes in them (metrics, tests). */
  readonly stats = { transactions: 0, writes: 0 };

  constructor(private readonly db: KVStore) {}

  write(ops: readonly BatchOp[]): Promise<void> {
    if (this.halted) return Promise.reject(haltedError());
    return new Promise<void>((resolve, reject) => {
      for (const op of ops) this.ops.push(op);
      this.waiters.push({ resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Resolves when everything asked for so far is committed. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Stops writing at once, as a killed process would: queued writes are refused, a commit under way may finish. */
  halt(): void {
    this.halted = true;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    for (const w of waiters) w.reject(haltedError());
  }

  private async flush(): Promise<void> {
    // Writers of the same tick join the first transaction.
    await Promise.resolve();
    while (this.ops.length > 0 && !this.halted) {
      const ops = this.ops;
      const waiters = this.waiters;
      this.ops = [];
      this.waiters = [];
      try {
        await this.db.batch(ops);
        this.stats.transactions++;
        this.stats.writes += waiters.length;
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = undefined;
  }
}

function haltedError(): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.STOPPED }, "the broker store was halted");
}
