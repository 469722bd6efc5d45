import { abortedError, isTransientError } from "./errors.js";

export interface RetryOptions {
  /** Attempts after the first (default 6). */
  retries?: number;
  /** First pause; doubles per attempt up to `maxDelayMs` (defaults 250 ms and 5 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export const defaultRetryOptions: Required<RetryOptions> = { retries: 6, baseDelayMs: 250, maxDelayMs: 5_000 };

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `fn`, retrying transient failures (network, "too many data writing") with exponential backoff. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions & { signal?: AbortSignal | undefined; isRetryable?: (e: unknown) => boolean } = {},
): Promise<T> {
  const o = { ...defaultRetryOptions, ...options };
  const retryable = options.isRetryable ?? isTransientError;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= o.retries || !retryable(e)) throw e;
      const delay = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** attempt);
      await sleep(delay * (0.75 + Math.random() * 0.5), options.signal);
    }
  }
}

/** Runs `worker` over `items` with at most `concurrency` at once; the first failure stops new work and rejects. */
export async function runPool<T>(items: readonly T[], concurrency: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await worker(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  });
  await Promise.all(lanes);
}
