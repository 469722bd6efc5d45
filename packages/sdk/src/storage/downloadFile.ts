import { numSegments, SEGMENT_SIZE } from "@zerog/core/merkle";
import { type Hex, isHex } from "viem";
import { type BufferLease, BufferPool } from "./bufferPool.js";
import { abortedError, isTransientError, StorageClientError, StorageClientErrorCode } from "./errors.js";
import { findFileNodes } from "./findFileNodes.js";
import type { StorageNodeClient } from "./nodeClient.js";
import { defaultRetryOptions, type RetryOptions, sleep } from "./retry.js";
import { type SegmentRootFunction, segmentFileBytes, verifyDownloadedSegment } from "./segments.js";
import { type PlacedNode, segmentHolders } from "./shards.js";
import type { DataSink, SegmentWithProof } from "./types.js";

export interface DownloadProgress {
  bytesDone: number;
  bytesTotal: number;
  segmentsDone: number;
  segmentsTotal: number;
}

export interface DownloadFileParameters {
  root: Hex;
  /** Storage nodes (URLs or clients); segments are fetched from the nodes whose shard holds them. */
  nodes: readonly (string | StorageNodeClient)[];
  /** Receives the file's bytes in order, each piece verified against the root before it is written. */
  sink: DataSink;
  /** Requests in flight (default 4); memory is about (concurrency + 2) × batchSize × 256 KiB (default 12 MiB). */
  concurrency?: number;
  /** Segments per request to one node (default 8; zerog nodes serve up to 32, 0G's take them as a JSON-RPC batch). */
  batchSize?: number;
  /**
   * Hashes a segment for its check (default `segmentRoot` of `@zerog/core/merkle`). In Node, `segmentRootAsync` of
   * `@zerog/core/native` hashes on the threadpool; on 2 cores shared with the nodes it measured no faster.
   */
  segmentRoot?: SegmentRootFunction;
  /** Rounds over a segment's nodes while failures are transient (network, overload). */
  retry?: RetryOptions;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

export interface DownloadFileReturnType {
  root: Hex;
  size: number;
  segments: number;
}

/**
 * Downloads a file by root: every segment comes with a proof that is checked against the root (and the size) before
 * its bytes reach the sink; a missing or bad segment is fetched from another node holding its shard. Throws
 * `SEGMENT_UNAVAILABLE` naming the segment and the nodes tried when no node has a valid copy.
 */
export async function downloadFile(params: DownloadFileParameters): Promise<DownloadFileReturnType> {
  const root = checkRoot(params.root);
  const { nodes: placed, size, skipped } = await findFileNodes({ root, nodes: params.nodes, signal: params.signal });
  const total = numSegments(size);
  let holders: PlacedNode[][];
  try {
    holders = segmentHolders(placed, total);
  } catch (e) {
    if (skipped.length === 0 || !(e instanceof StorageClientError)) throw e;
    throw new StorageClientError(e.type, `${e.message} Nodes left out: ${skipped.map((s) => `${s.url} (${s.reason})`).join("; ")}`);
  }

  const stop = new AbortController();
  const signal = params.signal ? AbortSignal.any([params.signal, stop.signal]) : stop.signal;
  const fetcher = new SegmentFetcher(root, size, params.retry ?? {}, signal, params.segmentRoot);
  const batchSize = Math.max(1, params.batchSize ?? 8);
  const concurrency = Math.max(1, params.concurrency ?? 4);
  const window = concurrency * batchSize;
  const { batches, batchOf } = planBatches(holders, batchSize);
  // A batch's response memory goes back to the pool once the sink has taken all of its segments.
  const pool = new BufferPool(concurrency + 2, batchSize * SEGMENT_SIZE + FRAME_HEADROOM);
  const leases: { lease: BufferLease; left: number }[] = [];
  const inflight = new Map<number, Promise<Uint8Array>>();
  let next = 0;
  let bytesDone = 0;
  params.onProgress?.({ bytesDone, bytesTotal: size, segmentsDone: 0, segmentsTotal: total });
  try {
    for (let i = 0; i < total; i++) {
      // Batches go out in the order of their last segment, while that is within the window (and always the one
      // holding segment i), so at most about `window` segments are held at once.
      for (; next < batches.length && (next <= batchOf[i]! || batches[next]!.last < i + window); next++) {
        const { node, indices } = batches[next]!;
        const lease = pool.lease();
        leases[next] = { lease, left: indices.length };
        const answers = fetcher.tryBatch(node, indices, lease.allocate);
        indices.forEach((index, k) => {
          const p = fetcher.fetch(index, holders[index]!, { node, answer: answers.then((a) => a[k]!) });
          p.catch(() => {}); // awaited in order below; this only marks an early rejection as handled
          inflight.set(index, p);
        });
      }
      const bytes = await inflight.get(i)!;
      inflight.delete(i);
      await params.sink.write(bytes);
      const batch = leases[batchOf[i]!]!;
      if (--batch.left === 0) batch.lease.release();
      bytesDone += bytes.length;
      params.onProgress?.({ bytesDone, bytesTotal: size, segmentsDone: i + 1, segmentsTotal: total });
    }
  } finally {
    stop.abort();
  }
  return { root, size, segments: total };
}

/** Each segment's first node (`holders[i][i % n]`), grouped `batchSize` per node, in the order of the last segment. */
export function planBatches(
  holders: readonly (readonly PlacedNode[])[],
  batchSize: number,
): { batches: { node: PlacedNode; indices: number[]; last: number }[]; batchOf: number[] } {
  const batches: { node: PlacedNode; indices: number[]; last: number }[] = [];
  const batchOf: number[] = new Array(holders.length);
  const open = new Map<PlacedNode, number[]>();
  const close = (node: PlacedNode, indices: number[]) => {
    for (const i of indices) batchOf[i] = batches.length;
    batches.push({ node, indices, last: indices[indices.length - 1]! });
    open.delete(node);
  };
  holders.forEach((hs, i) => {
    const node = hs[i % hs.length]!;
    const indices = open.get(node) ?? [];
    indices.push(i);
    open.set(node, indices);
    if (indices.length >= batchSize) close(node, indices);
  });
  for (const [node, indices] of [...open].sort((a, b) => a[1][a[1].length - 1]! - b[1][b[1].length - 1]!)) close(node, indices);
  return { batches, batchOf };
}

/** Room for the frame heads and proofs of a batch over its data (a proof is under 4 KiB). */
const FRAME_HEADROOM = 64 << 10;

type TryResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string; transient: boolean };

/** Fetches segments from their holders, verifying them; fails over on missing, bad or unreachable copies. */
class SegmentFetcher {
  /** Nodes whose last request failed transiently: tried last. */
  private readonly sick = new Set<StorageNodeClient>();
  private readonly retry: Required<RetryOptions>;

  constructor(
    private readonly root: Hex,
    private readonly size: number,
    retry: RetryOptions,
    private readonly signal: AbortSignal,
    private readonly segmentRoot: SegmentRootFunction | undefined,
  ) {
    this.retry = { ...defaultRetryOptions, ...retry };
  }

  /** Segments `indices` from `node` in one request, each checked; never rejects but on abort. */
  async tryBatch(node: PlacedNode, indices: readonly number[], allocate?: (size: number) => Uint8Array): Promise<TryResult[]> {
    if (this.signal.aborted) throw abortedError();
    let answers: Awaited<ReturnType<StorageNodeClient["downloadSegmentsWithProofByTxSeq"]>>;
    try {
      answers = await node.client.downloadSegmentsWithProofByTxSeq(node.txSeq, indices, { signal: this.signal, allocate });
      this.sick.delete(node.client);
    } catch (e) {
      if (this.signal.aborted) throw abortedError();
      const transient = isTransientError(e);
      if (transient) this.sick.add(node.client);
      return indices.map(() => ({ ok: false, reason: (e as Error).message, transient }));
    }
    return Promise.all(answers.map((a, k) => this.check(a, indices[k]!)));
  }

  /**
   * Segment `index`, verified: `first` is the answer of one of its holders already asked (in a batch); the others
   * are then tried in turn, with backoff rounds while failures are transient.
   */
  async fetch(
    index: number,
    holders: readonly PlacedNode[],
    first?: { node: PlacedNode; answer: Promise<TryResult> },
  ): Promise<Uint8Array> {
    const tried: { url: string; reason: string }[] = [];
    let open = holders.map((_, k) => holders[(index + k) % holders.length]!);
    let skip: PlacedNode | undefined;
    if (first) {
      const r = await first.answer;
      if (r.ok) return r.bytes;
      tried.push({ url: first.node.client.url, reason: r.reason });
      if (!r.transient) open = open.filter((n) => n !== first.node);
      skip = first.node;
    }
    for (let round = 0; open.length > 0 && round <= this.retry.retries; round++) {
      if (round > 0) await sleep(Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (round - 1)), this.signal);
      const order = [...open.filter((n) => !this.sick.has(n.client)), ...open.filter((n) => this.sick.has(n.client))];
      for (const node of order) {
        if (round === 0 && node === skip) continue;
        const r = await this.tryNode(node, index);
        if (r.ok) return r.bytes;
        tried.push({ url: node.client.url, reason: r.reason });
        if (!r.transient) open = open.filter((n) => n !== node);
      }
    }
    const firstByte = index * SEGMENT_SIZE;
    const lastByte = firstByte + segmentFileBytes(index, this.size) - 1;
    throw new StorageClientError(
      { code: StorageClientErrorCode.SEGMENT_UNAVAILABLE, root: this.root, segment: index, tried },
      `no storage node returned a valid segment ${index} (bytes ${firstByte}–${lastByte}) of file ${this.root}: ` +
        `${tried.map((t) => `${t.url}: ${t.reason}`).join("; ")}. Nothing from this segment on was written.`,
    );
  }

  private async tryNode(node: PlacedNode, index: number): Promise<TryResult> {
    if (this.signal.aborted) throw abortedError();
    try {
      const seg = await node.client.downloadSegmentWithProofByTxSeq(node.txSeq, index, { signal: this.signal });
      this.sick.delete(node.client);
      return await this.check(seg, index);
    } catch (e) {
      if (this.signal.aborted) throw abortedError();
      const transient = isTransientError(e);
      if (transient) this.sick.add(node.client);
      return { ok: false, reason: (e as Error).message, transient };
    }
  }

  private async check(seg: SegmentWithProof | null | StorageClientError, index: number): Promise<TryResult> {
    if (seg instanceof StorageClientError) return { ok: false, reason: seg.message, transient: isTransientError(seg) };
    if (seg === null) return { ok: false, reason: "does not have the segment", transient: false };
    const checked = await verifyDownloadedSegment(seg, { root: this.root, index, fileSize: this.size }, this.segmentRoot);
    return checked.ok ? checked : { ok: false, reason: checked.reason, transient: false };
  }
}

export function checkRoot(root: string): Hex {
  if (!isHex(root) || root.length !== 66) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "root" },
      `"${root}" is not a file root; a root is 32 bytes of hex with 0x, as printed by zg storage upload`,
    );
  }
  return root.toLowerCase() as Hex;
}
