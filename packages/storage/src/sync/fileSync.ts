import { bytesToHex, equalsBytes, hexToBytes, JsonRpcClient, type Logger } from "@zerog/core";
import { fileProofFromJSON } from "@zerog/core/merkle";
import type { LogStore } from "../flow/logStore.js";
import type { SegmentWithProof, SegmentWithProofJSON } from "../flow/segment.js";
import { flowSegmentOf, inShard, type ShardConfig } from "../flow/shard.js";
import { sleep } from "./logSync.js";

export interface FileSyncOptions {
  /** Storage-node RPC URLs to fetch missing segments from (`zgs_` JSON-RPC). */
  peers: string[];
  /** Sync every unfinalized tx automatically (0G `auto_sync_enabled`). */
  autoSync: boolean;
  /** Wait between sweeps over the unfinalized txs. */
  intervalMs: number;
  /** Segments requested from peers at once. */
  concurrency: number;
  requestTimeoutMs: number;
}

export const defaultFileSyncOptions: FileSyncOptions = {
  peers: [],
  autoSync: true,
  intervalMs: 1000,
  concurrency: 4,
  requestTimeoutMs: 30_000,
};

export type FileSyncState = "Idle" | "FindingPeers" | "Downloading" | "Completed" | "Failed";

/** Progress of one file, as `admin_getSyncInfo` reports it. */
export interface FileSyncInfo {
  elapsedSecs: number;
  peers: number;
  goal: number;
  next: number;
  state: FileSyncState;
  error: string | null;
}

interface FileInfoJSON {
  tx: { dataMerkleRoot: string; size: number; seq: number };
  finalized: boolean;
}

/**
 * Node-to-node sync over the peers' public JSON-RPC (instead of 0G's libp2p `GetChunks`): for each tx
 * not finalized here whose file a peer has finalized, fetch this shard's missing segments with
 * `zgs_downloadSegmentWithProofByTxSeq`, verify every proof (the same `putSegment` path as uploads),
 * and finalize. A node that restarts or starts late catches up this way.
 */
export class FileSync {
  readonly options: FileSyncOptions;
  private readonly store: LogStore;
  private readonly log: Logger;
  private readonly peers: { url: string; client: JsonRpcClient; shard: ShardConfig | null; ok: boolean }[];
  private readonly info = new Map<number, FileSyncInfo & { startedAt: number }>();
  private readonly requested = new Set<number>();
  /** Peers seen holding a finalized file, by seq (for `admin_getFileLocation`). */
  private readonly locations = new Map<number, Set<string>>();
  private loop: Promise<void> | null = null;
  private abort = new AbortController();
  private wake: (() => void) | null = null;
  private catchedUp = false;

  constructor(options: FileSyncOptions, deps: { store: LogStore; logger: Logger }) {
    this.options = options;
    this.store = deps.store;
    this.log = deps.logger;
    this.peers = options.peers.map((url) => ({
      url,
      client: new JsonRpcClient({ url, timeoutMs: options.requestTimeoutMs }),
      shard: null,
      ok: false,
    }));
  }

  start(): void {
    if (this.loop || this.peers.length === 0) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  get connectedPeers(): number {
    return this.peers.filter((p) => p.ok).length;
  }

  /** `admin_startSyncFile`: sync this tx in the next sweep even when auto sync is off. */
  request(seq: number): void {
    this.requested.add(seq);
    this.wake?.();
  }

  terminate(seq: number): boolean {
    const had = this.requested.delete(seq) || this.info.has(seq);
    this.info.delete(seq);
    return had;
  }

  syncInfo(seq?: number): Record<string, FileSyncInfo> {
    const out: Record<string, FileSyncInfo> = {};
    for (const [s, i] of this.info) {
      if (seq !== undefined && s !== seq) continue;
      const { startedAt, ...rest } = i;
      out[String(s)] = { ...rest, elapsedSecs: Math.round((Date.now() - startedAt) / 1000) };
    }
    return out;
  }

  status(seq: number): string {
    if (this.store.isFinalized(seq)) return "Completed";
    return this.info.get(seq)?.state ?? "Idle";
  }

  serviceState(): { numSyncing: number; catchedUp: boolean; autoSyncSerial: null; autoSyncRandom: null; peers: string[] } {
    const numSyncing = [...this.info.values()].filter((i) => i.state === "Downloading" || i.state === "FindingPeers").length;
    return { numSyncing, catchedUp: this.catchedUp, autoSyncSerial: null, autoSyncRandom: null, peers: this.peers.map((p) => p.url) };
  }

  /** Peer URLs known to hold the finalized file. */
  locationsOf(seq: number): string[] {
    return [...(this.locations.get(seq) ?? [])];
  }

  peerShard(url: string): ShardConfig | null {
    return this.peers.find((p) => p.url === url)?.shard ?? null;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sweep(signal);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, "file sync sweep failed");
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(this.options.intervalMs, signal).then(resolve);
      });
      this.wake = null;
    }
  }

  /** One pass over the txs this node has not finalized. */
  async sweep(signal?: AbortSignal): Promise<void> {
    await this.refreshPeers();
    const seqs = this.store.unfinalizedSeqs().filter((s) => this.options.autoSync || this.requested.has(s));
    let pending = 0;
    for (const seq of seqs) {
      if (signal?.aborted) return;
      if (!(await this.syncFile(seq, signal))) pending++;
    }
    this.catchedUp = pending === 0;
  }

  private async refreshPeers(): Promise<void> {
    await Promise.all(
      this.peers.map(async (p) => {
        try {
          p.shard = await p.client.request<ShardConfig>("zgs_getShardConfig");
          p.ok = true;
        } catch {
          p.ok = false;
        }
      }),
    );
  }

  /** True when the file is finalized here afterwards. */
  private async syncFile(seq: number, signal?: AbortSignal): Promise<boolean> {
    const tx = this.store.getTx(seq);
    if (!tx) return false;
    const missing = this.store.missingSegments(seq);
    let info = this.info.get(seq);
    if (!info) {
      info = { startedAt: Date.now(), elapsedSecs: 0, peers: 0, goal: missing.length, next: 0, state: "FindingPeers", error: null };
      this.info.set(seq, info);
    }
    const holders: typeof this.peers = [];
    const mine = this.store.shard;
    for (const p of this.peers.filter((x) => x.ok && x.shard !== null && shardsIntersect(x.shard, mine))) {
      try {
        const fi = await p.client.request<FileInfoJSON | null>("zgs_getFileInfoByTxSeq", [seq]);
        if (fi?.finalized && equalsBytes(hexToBytes(fi.tx.dataMerkleRoot), tx.dataMerkleRoot)) {
          holders.push(p);
          const set = this.locations.get(seq) ?? new Set<string>();
          set.add(p.url);
          this.locations.set(seq, set);
        }
      } catch {
        // unreachable peer: tried again next sweep
      }
    }
    info.peers = holders.length;
    if (holders.length === 0) {
      info.state = "FindingPeers";
      return this.store.isFinalized(seq);
    }
    info.state = "Downloading";
    let failed = 0;
    const queue = [...missing];
    const worker = async () => {
      for (let j = queue.shift(); j !== undefined && !signal?.aborted; j = queue.shift()) {
        if (await this.fetchSegment(seq, j, holders)) info.next++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency) }, worker));
    if (this.store.isFinalized(seq)) {
      info.state = "Completed";
      info.error = null;
      this.requested.delete(seq);
      this.log.info({ seq, segments: info.next, peers: holders.length }, "file synced from peers");
      return true;
    }
    info.state = failed > 0 ? "Failed" : "Downloading";
    return false;
  }

  /** Tries each holder until one serves a segment that verifies. */
  private async fetchSegment(seq: number, index: number, holders: typeof this.peers): Promise<boolean> {
    const tx = this.store.getTx(seq);
    if (!tx) return false;
    for (const p of holders) {
      if (!p.shard || !inShard(p.shard, flowSegmentOf(tx, index))) continue;
      try {
        const j = await p.client.request<SegmentWithProofJSON | null>("zgs_downloadSegmentWithProofByTxSeq", [seq, index]);
        if (!j) {
          this.log.debug({ seq, index, peer: p.url }, "peer does not serve the segment");
          continue;
        }
        const seg: SegmentWithProof = {
          root: hexToBytes(j.root),
          data: new Uint8Array(Buffer.from(j.data, "base64")),
          index: j.index,
          proof: fileProofFromJSON(j.proof),
          fileSize: j.fileSize,
        };
        if (seg.index !== index) throw new Error(`asked for segment ${index}, got ${seg.index}`);
        await this.store.putSegment(seg, tx, "sync");
        return true;
      } catch (e) {
        const msg = (e as Error).message;
        // Already there (an upload raced us) or finalized meanwhile: done.
        if (/already uploaded|already been uploaded/.test(msg) || this.store.isFinalized(seq)) return true;
        const info = this.info.get(seq);
        if (info) info.error = `${p.url}: ${msg}`;
        this.log.warn({ seq, index, peer: p.url, root: bytesToHex(tx.dataMerkleRoot), err: msg }, "bad or unavailable segment from peer");
      }
    }
    return false;
  }
}

/** Whether two `id/num` shards (num powers of two) have flow segments in common. */
export function shardsIntersect(a: ShardConfig, b: ShardConfig): boolean {
  const m = Math.min(a.numShard, b.numShard);
  return a.shardId % m === b.shardId % m;
}
