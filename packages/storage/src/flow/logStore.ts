import { type BatchOp, bytesToHex, type Hex, type Logger } from "@zerog/core";
import { type FileProof, FlowTree, numChunks, numSegments } from "@zerog/core/merkle";
import { callFailed, internalError, invalidParams, StorageError, StorageErrorCode, UploadErrorText } from "../errors.js";
import type { StorageMetrics } from "../metrics.js";
import { SECTOR_SIZE, SECTORS_PER_SEGMENT } from "../params.js";
import { ChunkCache } from "./chunkCache.js";
import type { FlowDataStore } from "./flowDataStore.js";
import { type FlowProof, type PlacedNode, sectorProof } from "./flowProof.js";
import type { MetaStore, SegmentRecord } from "./metaStore.js";
import { type SegmentWithProof, segmentDataLength, validateSegment } from "./segment.js";
import { flowSegmentOf, inShard, type ShardConfig, shardDataSegments } from "./shard.js";
import { sameRoot, type Transaction, transactionToJSON, txSectors, txSubmissionNodes } from "./transaction.js";

export interface LogStoreOptions {
  shard: ShardConfig;
  /** Largest file whose segments are cached before its Submit log arrives (0G: 10 MiB). */
  maxCacheFileSize: number;
  /** How long cached segments wait for their Submit log (0G: 300 s). */
  cacheExpirySecs: number;
  /** Total bytes the pre-tx cache may hold. */
  maxCachedBytes: number;
  /** Segment writes in flight at once; past it uploads get "too many data writing: N" (0G sample config: 64). */
  maxWritings: number;
}

export const defaultLogStoreOptions: LogStoreOptions = {
  shard: { shardId: 0, numShard: 1 },
  maxCacheFileSize: 10 * 1024 * 1024,
  cacheExpirySecs: 300,
  maxCachedBytes: 256 * 1024 * 1024,
  maxWritings: 64,
};

export interface LogStoreDeps {
  meta: MetaStore;
  data: FlowDataStore;
  logger: Logger;
  metrics: StorageMetrics | null;
  now?: () => number;
}

interface TxState {
  tx: Transaction;
  finalized: boolean;
  /** Stored segment indexes (file-relative). */
  written: Set<number>;
}

export type WriteSource = "upload" | "sync" | "dedup" | "cache";

/**
 * The log layer of one node: the transactions seen on the chain (in seq order), the flow tree they
 * build, and the data of this node's shard. Uploads and sync go through `putSegment`, which follows
 * 0G's `put_segment_with_maybe_tx` check for check.
 */
export class LogStore {
  readonly options: LogStoreOptions;
  readonly cache: ChunkCache;
  private readonly meta: MetaStore;
  private readonly data: FlowDataStore;
  private readonly log: Logger;
  private readonly metrics: StorageMetrics | null;
  private readonly txs: TxState[] = [];
  private readonly byRoot = new Map<Hex, number[]>();
  private readonly inflight = new Set<string>();
  private readonly finalizedListeners = new Set<(tx: Transaction) => void>();
  private flow = new FlowTree();
  /** Every submission node in flow order (for sector proofs). */
  private placed: PlacedNode[] = [];
  private writings = 0;
  /** Sectors at or past this were never written, so they read as zeros without writing any. */
  private dataEnd = 0;

  constructor(options: LogStoreOptions, deps: LogStoreDeps) {
    this.options = options;
    this.meta = deps.meta;
    this.data = deps.data;
    this.log = deps.logger;
    this.metrics = deps.metrics;
    const now = deps.now ?? Date.now;
    this.cache = new ChunkCache({ maxBytes: options.maxCachedBytes, expiryMs: options.cacheExpirySecs * 1000 }, now);
    this.load();
  }

  private load(): void {
    const finalized = new Set(this.meta.finalizedSeqs());
    for (const tx of this.meta.txs()) {
      const done = finalized.has(tx.seq);
      this.txs.push({ tx, finalized: done, written: new Set(done ? [] : this.meta.segmentIndexes(tx.seq)) });
      this.indexRoot(tx);
      this.flow.appendSubmission(txSubmissionNodes(tx));
      this.place(tx);
    }
    this.dataEnd = this.meta.getMeta<number>("dataEnd") ?? 0;
  }

  get shard(): ShardConfig {
    return this.options.shard;
  }

  get nextTxSeq(): number {
    return this.txs.length;
  }

  get flowRoot(): Uint8Array {
    return this.flow.root();
  }

  get flowLength(): number {
    return this.flow.length;
  }

  getTx(seq: number): Transaction | undefined {
    return this.txs[seq]?.tx;
  }

  isFinalized(seq: number): boolean {
    return this.txs[seq]?.finalized ?? false;
  }

  /** Seqs of txs not finalized here, lowest first. */
  unfinalizedSeqs(): number[] {
    return this.txs.filter((s) => !s.finalized).map((s) => s.tx.seq);
  }

  onFinalized(l: (tx: Transaction) => void): () => void {
    this.finalizedListeners.add(l);
    return () => this.finalizedListeners.delete(l);
  }

  /** 0G's `get_tx_seq_by_data_root`: the first finalized tx of the root, else the first one (nothing is pruned here). */
  txByRoot(root: Uint8Array, _needAvailable: boolean): Transaction | undefined {
    const seqs = this.byRoot.get(bytesToHex(root));
    if (!seqs || seqs.length === 0) return undefined;
    const fin = seqs.find((s) => this.txs[s]?.finalized);
    return this.txs[fin ?? seqs[0]!]?.tx;
  }

  /** Written (or, once finalized, all) data segments of tx `seq`. */
  uploadedSegments(seq: number): number {
    const s = this.txs[seq];
    if (!s) return 0;
    return s.finalized ? numSegments(s.tx.size) : s.written.size;
  }

  fileInfo(tx: Transaction): Record<string, unknown> {
    return {
      tx: transactionToJSON(tx),
      finalized: this.isFinalized(tx.seq),
      isCached: this.cache.count(tx.dataMerkleRoot) !== undefined,
      uploadedSegNum: this.uploadedSegments(tx.seq),
      pruned: false,
    };
  }

  /** Data segments of tx `seq` this node stores and still misses. */
  missingSegments(seq: number): number[] {
    const s = this.txs[seq];
    if (!s || s.finalized) return [];
    return shardDataSegments(this.shard, s.tx).filter((j) => !s.written.has(j));
  }

  /** Appends the next tx from the chain (`put_tx`): flow tree, gap padding, dedup, cached segments. */
  async putTx(tx: Transaction): Promise<void> {
    if (tx.seq !== this.nextTxSeq) {
      throw new StorageError(
        { code: StorageErrorCode.BAD_LOG, detail: `seq ${tx.seq}` },
        `Submit logs out of order: got submission ${tx.seq}, expected ${this.nextTxSeq}`,
      );
    }
    const placed = this.flow.appendSubmission(txSubmissionNodes(tx));
    if (placed.startPos !== tx.startEntryIndex)
      this.log.error(
        { seq: tx.seq, event: tx.startEntryIndex, local: placed.startPos },
        "flow position of the Submit log differs from the local flow tree",
      );
    this.zeroRange(placed.startPos - placed.paddingSectors, tx.startEntryIndex);
    await this.meta.db.batch([this.meta.putTx(tx)]);
    this.place(tx);
    const state: TxState = { tx, finalized: false, written: new Set() };
    this.txs.push(state);
    this.indexRoot(tx);
    this.metrics?.nextTxSeq.set(this.nextTxSeq);
    this.log.debug({ seq: tx.seq, root: bytesToHex(tx.dataMerkleRoot), size: tx.size }, "tx appended");
    const first = this.txByRoot(tx.dataMerkleRoot, false);
    if (first && first.seq !== tx.seq && this.isFinalized(first.seq)) await this.copyFrom(first, state);
    await this.flushCache(state);
    await this.maybeFinalize(state);
  }

  /** Drops txs with seq ≥ `seq` (their logs were reorged out); the flow tree is rebuilt. */
  async revertFrom(seq: number): Promise<void> {
    if (seq >= this.txs.length) return;
    const ops: BatchOp[] = [];
    for (const s of this.txs.slice(seq)) ops.push(...this.meta.deleteTx(s.tx.seq), ...this.meta.deleteSegments(s.tx.seq));
    await this.meta.db.batch(ops);
    const dropped = this.txs.splice(seq);
    for (const s of dropped) {
      const key = bytesToHex(s.tx.dataMerkleRoot);
      const rest = (this.byRoot.get(key) ?? []).filter((x) => x < seq);
      if (rest.length === 0) this.byRoot.delete(key);
      else this.byRoot.set(key, rest);
    }
    this.flow = new FlowTree();
    this.placed = [];
    for (const s of this.txs) {
      this.flow.appendSubmission(txSubmissionNodes(s.tx));
      this.place(s.tx);
    }
    this.metrics?.nextTxSeq.set(this.nextTxSeq);
    this.log.warn({ from: seq, count: dropped.length }, "reverted txs after a chain reorg");
  }

  /**
   * 0G's `put_segment_with_maybe_tx`: data size, root against the tx, cache-or-write decision, segment
   * validation, then the write under the write control.
   */
  async putSegment(seg: SegmentWithProof, tx: Transaction | undefined, source: WriteSource = "upload"): Promise<void> {
    if (seg.data.length === 0) throw callFailed(UploadErrorText.DATA_EMPTY);
    if (seg.data.length % SECTOR_SIZE !== 0) throw callFailed(UploadErrorText.INVALID_DATA_LENGTH);
    if (tx && !sameRoot(tx, seg.root)) throw internalError(UploadErrorText.ROOT_MISMATCH);
    let cache: boolean;
    if (!tx && this.cache.has(seg.root)) cache = true;
    else if (tx) {
      if (tx.size !== seg.fileSize) throw invalidParams("file_size", UploadErrorText.FILE_SIZE_MISMATCH);
      if (this.isFinalized(tx.seq)) throw invalidParams("root", UploadErrorText.ALREADY_FINALIZED);
      cache = false;
    } else {
      if (seg.fileSize > this.options.maxCacheFileSize) throw invalidParams("file_size", UploadErrorText.CACHE_TOO_LARGE);
      cache = true;
    }
    const segmentRoot = validateSegment(seg);
    if (cache || !tx) {
      if (!this.cache.add(seg.root, seg.fileSize, { index: seg.index, data: seg.data, proof: seg.proof, segmentRoot }))
        throw callFailed("exceeds the maximum cached chunks of all files");
      this.metrics?.cachedBytes.set(this.cache.bytes);
      return;
    }
    const state = this.txs[tx.seq]!;
    const key = `${tx.seq}:${seg.index}`;
    if (state.written.has(seg.index) || this.inflight.has(key)) throw callFailed(UploadErrorText.DUPLICATE);
    if (this.writings >= this.options.maxWritings) throw callFailed(`${UploadErrorText.TOO_MANY_WRITINGS}: ${this.options.maxWritings}`);
    // A segment of another shard is valid but not ours to keep.
    if (!inShard(this.shard, flowSegmentOf(tx, seg.index))) return;
    this.inflight.add(key);
    this.writings++;
    try {
      await this.writeSegment(state, seg.index, seg.data, { segmentRoot, proof: seg.proof }, source);
    } finally {
      this.inflight.delete(key);
      this.writings--;
    }
    await this.maybeFinalize(state);
  }

  /** A stored data segment with its proof, or undefined when this node does not hold it. */
  readSegment(tx: Transaction, index: number): SegmentWithProof | undefined {
    const stored = this.storedSegment(tx, index);
    if (!stored) return undefined;
    const data = new Uint8Array(stored.length);
    stored.readInto(data, 0);
    return { root: tx.dataMerkleRoot, data, index, proof: stored.proof, fileSize: tx.size };
  }

  /**
   * A stored data segment's proof and length, and a reader that copies its data into a caller's buffer (so a response
   * of several segments is read into one allocation); undefined when this node does not hold it.
   */
  storedSegment(
    tx: Transaction,
    index: number,
  ): { proof: FileProof; length: number; readInto(out: Uint8Array, offset: number): void } | undefined {
    const rec = this.meta.getSegment(tx.seq, index);
    if (!rec || index >= numSegments(tx.size)) return undefined;
    const length = segmentDataLength(tx.size, index);
    return {
      proof: rec.proof,
      length,
      readInto: (out, offset) => {
        this.data.readInto(tx.startEntryIndex + index * SECTORS_PER_SEGMENT, length / SECTOR_SIZE, out, offset);
        this.metrics?.downloadSegments.inc();
        this.metrics?.downloadBytes.inc(length);
      },
    };
  }

  /** Flow segment (batch) `batch` if this node's shard holds it (debug methods). */
  readFlowSegment(batch: number): Uint8Array | undefined {
    if (!inShard(this.shard, batch) || batch * SECTORS_PER_SEGMENT >= this.flowLength) return undefined;
    return this.data.read(batch * SECTORS_PER_SEGMENT, SECTORS_PER_SEGMENT);
  }

  /** File chunks `[start, end)`, or undefined unless every segment they touch is stored here. */
  readChunks(tx: Transaction, start: number, end: number): Uint8Array | undefined {
    const s = this.txs[tx.seq];
    if (!s) return undefined;
    for (let j = Math.floor(start / SECTORS_PER_SEGMENT); j * SECTORS_PER_SEGMENT < end; j++) {
      if (!inShard(this.shard, flowSegmentOf(tx, j))) return undefined;
      if (!s.finalized && !s.written.has(j)) return undefined;
    }
    const data = this.data.read(tx.startEntryIndex + start, end - start);
    this.metrics?.downloadBytes.inc(data.length);
    return data;
  }

  private async writeSegment(state: TxState, index: number, bytes: Uint8Array, rec: SegmentRecord, source: WriteSource): Promise<void> {
    const sector = state.tx.startEntryIndex + index * SECTORS_PER_SEGMENT;
    // Data first: a record on disk always has its data, a crash in between only costs a re-upload.
    this.data.write(sector, bytes);
    const ops: BatchOp[] = [this.meta.putSegment(state.tx.seq, index, rec)];
    const end = sector + bytes.length / SECTOR_SIZE;
    if (end > this.dataEnd) {
      this.dataEnd = end;
      ops.push(this.meta.putMeta("dataEnd", end));
    }
    await this.meta.db.batch(ops);
    state.written.add(index);
    this.metrics?.uploadSegments.inc({ source });
    this.metrics?.uploadBytes.inc({ source }, bytes.length);
  }

  private async maybeFinalize(state: TxState): Promise<void> {
    if (state.finalized) return;
    const needed = shardDataSegments(this.shard, state.tx);
    if (!needed.every((j) => state.written.has(j))) return;
    const tx = state.tx;
    // Rear padding: zeros from the end of the data to the padded size (holes already read as zeros).
    this.zeroRange(tx.startEntryIndex + numChunks(tx.size), tx.startEntryIndex + txSectors(tx));
    await this.meta.db.batch([this.meta.putFinalized(tx.seq)]);
    if (state.finalized) return;
    state.finalized = true;
    state.written.clear();
    this.metrics?.finalizedFiles.inc();
    this.log.info({ seq: tx.seq, root: bytesToHex(tx.dataMerkleRoot), size: tx.size }, "file finalized");
    for (const l of this.finalizedListeners) l(tx);
    for (const seq of this.byRoot.get(bytesToHex(tx.dataMerkleRoot)) ?? []) {
      const other = this.txs[seq];
      if (other && !other.finalized) await this.copyFrom(tx, other);
    }
  }

  /** Dedup (0G `copy_tx_and_finalize`): copies the segments of finalized `src` this node holds into `dst`. */
  private async copyFrom(src: Transaction, dst: TxState): Promise<void> {
    let copied = 0;
    for (const j of shardDataSegments(this.shard, dst.tx)) {
      if (dst.written.has(j) || !inShard(this.shard, flowSegmentOf(src, j))) continue;
      const rec = this.meta.getSegment(src.seq, j);
      if (!rec) continue;
      const len = segmentDataLength(src.size, j);
      const bytes = this.data.read(src.startEntryIndex + j * SECTORS_PER_SEGMENT, len / SECTOR_SIZE);
      await this.writeSegment(dst, j, bytes, rec, "dedup");
      copied++;
    }
    if (copied > 0) this.log.info({ from: src.seq, to: dst.tx.seq, segments: copied }, "copied data of a duplicate file");
    await this.maybeFinalize(dst);
  }

  private async flushCache(state: TxState): Promise<void> {
    const cached = this.cache.take(state.tx.dataMerkleRoot);
    this.metrics?.cachedBytes.set(this.cache.bytes);
    if (!cached || cached.fileSize !== state.tx.size) return;
    for (const seg of cached.segments) {
      if (state.written.has(seg.index) || !inShard(this.shard, flowSegmentOf(state.tx, seg.index))) continue;
      await this.writeSegment(state, seg.index, seg.data, { segmentRoot: seg.segmentRoot, proof: seg.proof }, "cache");
    }
  }

  /** Writes zeros over the flow sectors `[from, to)` of this shard that may hold old data. */
  private zeroRange(from: number, to: number): void {
    const end = Math.min(to, this.dataEnd);
    for (let s = from; s < end; ) {
      const seg = Math.floor(s / SECTORS_PER_SEGMENT);
      const segEnd = Math.min((seg + 1) * SECTORS_PER_SEGMENT, end);
      if (inShard(this.shard, seg)) this.data.writeZeros(s, segEnd - s);
      s = segEnd;
    }
  }

  /**
   * Proof of flow sector `sector` against the current flow root, or undefined when this node does not hold the data
   * it needs (another shard's segment, or a segment not uploaded yet).
   */
  sectorProof(sector: number): FlowProof | undefined {
    return sectorProof(
      {
        nodes: this.placed,
        length: this.flowLength,
        readSegment: (segment) => {
          const state = this.txAtSector(sector);
          if (!state || !inShard(this.shard, segment)) return undefined;
          const j = Math.floor((sector - state.tx.startEntryIndex) / SECTORS_PER_SEGMENT);
          if (!state.finalized && !state.written.has(j)) return undefined;
          return this.data.read(segment * SECTORS_PER_SEGMENT, SECTORS_PER_SEGMENT);
        },
        segmentSiblings: (node, segInNode) => {
          const state = this.txAtSector(node.start);
          if (!state) return undefined;
          const j = (node.start - state.tx.startEntryIndex) / SECTORS_PER_SEGMENT + segInNode;
          return this.meta.getSegment(state.tx.seq, j)?.proof.lemma.slice(1, 1 + node.height - Math.log2(SECTORS_PER_SEGMENT));
        },
      },
      sector,
    );
  }

  private txAtSector(sector: number): TxState | undefined {
    let lo = 0;
    let hi = this.txs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.txs[mid]!.tx.startEntryIndex <= sector) lo = mid + 1;
      else hi = mid;
    }
    const s = this.txs[lo - 1];
    return s && sector < s.tx.startEntryIndex + txSectors(s.tx) ? s : undefined;
  }

  private place(tx: Transaction): void {
    let start = tx.startEntryIndex;
    for (const n of tx.merkleNodes) {
      this.placed.push({ start, height: n.depth - 1, root: n.root });
      start += 2 ** (n.depth - 1);
    }
  }

  private indexRoot(tx: Transaction): void {
    const key = bytesToHex(tx.dataMerkleRoot);
    const list = this.byRoot.get(key);
    if (list) list.push(tx.seq);
    else this.byRoot.set(key, [tx.seq]);
  }
}
