import { numSegments, SEGMENT_SIZE } from "@zerog/core/merkle";
import { type Hex, isHex } from "viem";
import { abortedError, isTransientError, StorageClientError, StorageClientErrorCode } from "./errors.js";
import { findFileNodes } from "./findFileNodes.js";
import type { StorageNodeClient } from "./nodeClient.js";
import { defaultRetryOptions, type RetryOptions, sleep } from "./retry.js";
import { checkDownloadedSegment, segmentFileBytes } from "./segments.js";
import { type PlacedNode, segmentHolders } from "./shards.js";
import type { DataSink } from "./types.js";

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
  /** Segments fetched at once (default 8); memory is about this many × 256 KiB. */
  concurrency?: number;
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
  const fetcher = new SegmentFetcher(root, size, params.retry ?? {}, signal);
  const window = Math.max(1, params.concurrency ?? 8);
  const inflight = new Map<number, Promise<Uint8Array>>();
  let next = 0;
  let bytesDone = 0;
  params.onProgress?.({ bytesDone, bytesTotal: size, segmentsDone: 0, segmentsTotal: total });
  try {
    for (let i = 0; i < total; i++) {
      for (; next < total && next < i + window; next++) {
        const p = fetcher.fetch(next, holders[next]!);
        p.catch(() => {}); // awaited in order below; this only marks an early rejection as handled
        inflight.set(next, p);
      }
      const bytes = await inflight.get(i)!;
      inflight.delete(i);
      await params.sink.write(bytes);
      bytesDone += bytes.length;
      params.onProgress?.({ bytesDone, bytesTotal: size, segmentsDone: i + 1, segmentsTotal: total });
    }
  } finally {
    stop.abort();
  }
  return { root, size, segments: total };
}

/** Fetches one segment from its holders, verifying it; fails over on missing, bad or unreachable copies. */
class SegmentFetcher {
  /** Nodes whose last request failed transiently: tried last. */
  private readonly sick = new Set<StorageNodeClient>();
  private readonly retry: Required<RetryOptions>;

  constructor(
    private readonly root: Hex,
    private readonly size: number,
    retry: RetryOptions,
    private readonly signal: AbortSignal,
  ) {
    this.retry = { ...defaultRetryOptions, ...retry };
  }

  async fetch(index: number, holders: readonly PlacedNode[]): Promise<Uint8Array> {
    const tried: { url: string; reason: string }[] = [];
    const rotated = holders.map((_, k) => holders[(index + k) % holders.length]!);
    let open = [...rotated];
    for (let round = 0; open.length > 0 && round <= this.retry.retries; round++) {
      if (round > 0) await sleep(Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (round - 1)), this.signal);
      const order = [...open.filter((n) => !this.sick.has(n.client)), ...open.filter((n) => this.sick.has(n.client))];
      for (const node of order) {
        const r = await this.tryNode(node, index);
        if (r.ok) return r.bytes;
        tried.push({ url: node.client.url, reason: r.reason });
        if (!r.transient) open = open.filter((n) => n !== node);
      }
    }
    const first = index * SEGMENT_SIZE;
    const last = first + segmentFileBytes(index, this.size) - 1;
    throw new StorageClientError(
      { code: StorageClientErrorCode.SEGMENT_UNAVAILABLE, root: this.root, segment: index, tried },
      `no storage node returned a valid segment ${index} (bytes ${first}–${last}) of file ${this.root}: ` +
        `${tried.map((t) => `${t.url}: ${t.reason}`).join("; ")}. Nothing from this segment on was written.`,
    );
  }

  private async tryNode(
    node: PlacedNode,
    index: number,
  ): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; reason: string; transient: boolean }> {
    if (this.signal.aborted) throw abortedError();
    try {
      const seg = await node.client.downloadSegmentWithProofByTxSeq(node.txSeq, index, { signal: this.signal });
      this.sick.delete(node.client);
      if (seg === null) return { ok: false, reason: "does not have the segment", transient: false };
      const checked = checkDownloadedSegment(seg, { root: this.root, index, fileSize: this.size });
      return checked.ok ? checked : { ok: false, reason: checked.reason, transient: false };
    } catch (e) {
      if (this.signal.aborted) throw abortedError();
      const transient = isTransientError(e);
      if (transient) this.sick.add(node.client);
      return { ok: false, reason: (e as Error).message, transient };
    }
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
