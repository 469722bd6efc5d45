import type { FileMerkleTree } from "@zerog/core/merkle";
import type { Hex } from "viem";
import { isTransientError, rpcErrorMatches, StorageClientError, StorageClientErrorCode } from "./errors.js";
import type { StorageNodeClient } from "./nodeClient.js";
import { type RetryOptions, runPool, withRetry } from "./retry.js";
import { readSegment, segmentFileBytes } from "./segments.js";
import type { PlacedNode } from "./shards.js";
import type { DataSource } from "./types.js";

export interface UploadSegmentsParameters {
  source: DataSource;
  tree: FileMerkleTree;
  root: Hex;
  txSeq: number;
  /** Per file segment, the nodes storing it; nodes with `finalized` get nothing. */
  holders: readonly (readonly (PlacedNode & { finalized: boolean })[])[];
  batchSize: number;
  concurrency: number;
  retry?: RetryOptions | undefined;
  signal?: AbortSignal | undefined;
  onSegmentsDone?: (segments: number, bytes: number) => void;
}

const FINALIZED = /already uploaded and finalized/i;
const DUPLICATE = /already been uploaded or is being uploaded/i;

/**
 * Sends every node the segments of its shard, `batchSize` per call, `concurrency` calls at once, interleaving nodes.
 * A segment counts as done once every node storing it has accepted it.
 */
export async function uploadSegments(p: UploadSegmentsParameters): Promise<void> {
  const size = p.source.size;
  const perNode = new Map<StorageNodeClient, number[]>();
  const remaining = p.holders.map((hs, i) => {
    const open = hs.filter((h) => !h.finalized);
    for (const h of open) {
      const list = perNode.get(h.client) ?? [];
      list.push(i);
      perNode.set(h.client, list);
    }
    return open.length;
  });
  let segmentsDone = 0;
  let bytesDone = 0;
  const complete = (i: number) => {
    segmentsDone++;
    bytesDone += segmentFileBytes(i, size);
  };
  remaining.forEach((r, i) => {
    if (r === 0) complete(i);
  });
  p.onSegmentsDone?.(segmentsDone, bytesDone);

  const finalizedNodes = new Set<StorageNodeClient>();
  const tasks = interleave(
    [...perNode].map(([node, indices]) => chunk(indices, Math.max(1, p.batchSize)).map((batch) => ({ node, batch }))),
  );
  await runPool(tasks, p.concurrency, async ({ node, batch }) => {
    if (!finalizedNodes.has(node)) {
      const segments = await Promise.all(batch.map((i) => readSegment(p.source, p.tree, p.root, i)));
      try {
        await withRetry(() => node.uploadSegmentsByTxSeq(segments, p.txSeq, { signal: p.signal }), { ...p.retry, signal: p.signal });
      } catch (e) {
        if (rpcErrorMatches(e, FINALIZED)) finalizedNodes.add(node);
        else if (!rpcErrorMatches(e, DUPLICATE)) throw uploadFailed(node, batch, p.txSeq, e);
      }
    }
    for (const i of batch) if (--remaining[i]! === 0) complete(i);
    p.onSegmentsDone?.(segmentsDone, bytesDone);
  });
}

function uploadFailed(node: StorageNodeClient, batch: number[], txSeq: number, e: unknown): StorageClientError {
  if (e instanceof StorageClientError && e.code === StorageClientErrorCode.ABORTED) return e;
  const range = batch.length === 1 ? `segment ${batch[0]}` : `segments ${batch.join(", ")}`;
  const why = isTransientError(e) ? "still failing after retries" : "refused";
  return new StorageClientError(
    { code: StorageClientErrorCode.UPLOAD_FAILED, url: node.url, segments: batch },
    `uploading ${range} of tx ${txSeq} to ${node.url} ${why}: ${(e as Error).message}`,
    { cause: e },
  );
}

function chunk<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** [[a1,a2],[b1]] → [a1,b1,a2]: spreads the load over nodes from the start. */
function interleave<T>(lists: readonly T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let k = 0; k < longest; k++) for (const l of lists) if (k < l.length) out.push(l[k]!);
  return out;
}
