import { StorageClientError, StorageClientErrorCode } from "./errors.js";
import type { StorageNodeClient } from "./nodeClient.js";
import { sleep, withRetry } from "./retry.js";

export interface PollOptions {
  intervalMs: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** For the timeout message: "the Submit log of tx 7", "finalization of tx 7". */
  waitingFor: string;
}

/**
 * Asks every node `probe` until each has answered with something `done` accepts; returns the last answers in
 * node order. Transient node errors are retried; a node that is still not done at the deadline is named.
 */
export async function pollNodes<T>(
  nodes: readonly StorageNodeClient[],
  probe: (node: StorageNodeClient) => Promise<T>,
  done: (answer: T, node: StorageNodeClient) => boolean,
  o: PollOptions,
): Promise<T[]> {
  const deadline = Date.now() + o.timeoutMs;
  const answers = new Map<StorageNodeClient, T>();
  let pending = [...nodes];
  for (;;) {
    const results = await Promise.all(
      pending.map(async (n) => {
        const a = await withRetry(() => probe(n), { signal: o.signal, retries: 3 });
        return { n, a };
      }),
    );
    pending = [];
    for (const { n, a } of results) {
      if (done(a, n)) answers.set(n, a);
      else pending.push(n);
    }
    if (pending.length === 0) return nodes.map((n) => answers.get(n)!);
    if (Date.now() >= deadline) {
      const urls = pending.map((n) => n.url);
      throw new StorageClientError(
        { code: StorageClientErrorCode.TIMEOUT, waitingFor: o.waitingFor, nodes: urls },
        `gave up after ${Math.round(o.timeoutMs / 1000)} s waiting for ${o.waitingFor} on ${urls.join(", ")}; ` +
          "check that these nodes follow the same chain and Flow contract and are syncing (zg storage info)",
      );
    }
    await sleep(o.intervalMs, o.signal);
  }
}
