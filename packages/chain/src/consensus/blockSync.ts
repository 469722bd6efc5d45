import { equalsBytes, type Logger } from "@zerog/core";
import { encodeBlock } from "../block/blockCodec.js";
import type { Block } from "../execution/engine.js";
import type { Execution } from "../execution/execution.js";
import { SYNC_REQUEST, SYNC_RESPONSE, Verdict } from "../p2p/channels.js";
import type { PeerManager } from "../p2p/peerManager.js";
import { decodeSyncRequest, decodeSyncResponse, encodeSyncRequest, encodeSyncResponse, type SyncResponse } from "./messages.js";
import { decodeCommit, verifyCommit } from "./signing.js";
import type { ValidatorSets } from "./validatorSets.js";

export interface BlockSyncDeps {
  chainId: bigint;
  execution: Execution;
  p2p: PeerManager;
  validators: ValidatorSets;
  materialize(bytes: Uint8Array): Promise<Block>;
  /** Runs engine work serialised with consensus's own engine calls. */
  withEngine<T>(fn: () => Promise<T>): Promise<T>;
  logger: Logger;
  consensusHeight(): bigint;
  /** Called when sync brought the node to the best known height. */
  onSynced(): void;
  /** A peer announced where its consensus is (`consensusHeight`). */
  onPeerStatus?(peer: string, consensusHeight: bigint): void;
  onFatal(error: unknown): void;
}

/** Blocks per request, and the response size we aim under (the frame limit is 4 MiB). */
const BATCH = 32;
const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;
const STATUS_INTERVAL_MS = 1_000;
/** A peer ahead of us by one block for this long means consensus left us behind. */
const STUCK_MS = 3_000;

/**
 * Catch-up for a node that is behind, restarted or new: peers announce their durable height; a
 * node more than one block behind (or stuck one behind) fetches committed blocks with their
 * commits, verifies each commit against the validator set of its height, executes and commits
 * them, then hands back to consensus at the new height.
 */
export class BlockSync {
  private readonly deps: BlockSyncDeps;
  private readonly log: Logger;
  private readonly peerHeights = new Map<string, bigint>();
  private timer: NodeJS.Timeout | null = null;
  private requestedFrom: string | null = null;
  private behindSince = 0;
  private wantedHash: Uint8Array | null = null;
  syncing = false;

  constructor(deps: BlockSyncDeps) {
    this.deps = deps;
    this.log = deps.logger;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.announce();
      this.check();
    }, STATUS_INTERVAL_MS);
    this.timer.unref();
    this.deps.p2p.onPeer((id, status) => {
      if (status === "disconnected") this.peerHeights.delete(id);
      else this.announce();
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Tells peers our durable height and where consensus is. */
  announce(): void {
    const status = { height: this.deps.execution.head.header.number, consensusHeight: this.deps.consensusHeight(), round: 0 };
    this.deps.p2p.broadcast(SYNC_REQUEST, encodeSyncRequest({ kind: "status", status }));
  }

  /** Consensus decided a block whose bytes it never received: fetch it once a peer has committed it. */
  requestBlock(hash: Uint8Array): void {
    this.wantedHash = hash;
    this.behindSince = 0;
    this.check(true);
  }

  onRequest(from: string, data: Uint8Array): Verdict | undefined {
    let req: ReturnType<typeof decodeSyncRequest>;
    try {
      req = decodeSyncRequest(data);
    } catch {
      return Verdict.REJECT;
    }
    if (req.kind === "status") {
      this.peerHeights.set(from, req.status.height);
      this.deps.onPeerStatus?.(from, req.status.consensusHeight);
      this.check();
      return undefined;
    }
    const store = this.deps.execution.store;
    const out: SyncResponse = { blocks: [] };
    let bytes = 0;
    const from0 = req.kind === "range" ? req.from : undefined;
    const heights = req.kind === "range" ? Array.from({ length: req.count }, (_, i) => from0! + BigInt(i)) : [];
    if (req.kind === "block") {
      const b = store.blockByHash(req.blockHash);
      if (b) heights.push(b.header.number);
    }
    for (const h of heights) {
      if (h < 1n || h > this.deps.execution.head.header.number) break;
      const b = store.blockByNumber(h);
      const commit = store.commit(h);
      const raws = store.blockTxs(h);
      if (!b || !commit || !raws) break;
      const block = encodeBlock({ header: b.header, txs: raws, misbehavior: store.misbehavior(h) });
      bytes += block.length + commit.length;
      if (bytes > MAX_RESPONSE_BYTES && out.blocks.length > 0) break;
      out.blocks.push({ block, commit });
    }
    this.deps.p2p.send(from, SYNC_RESPONSE, encodeSyncResponse(out));
    return undefined;
  }

  onResponse(from: string, data: Uint8Array): Verdict | undefined {
    let resp: SyncResponse;
    try {
      resp = decodeSyncResponse(data);
    } catch {
      return Verdict.REJECT;
    }
    if (this.requestedFrom !== from) return Verdict.IGNORE;
    this.requestedFrom = null;
    void this.apply(from, resp);
    return undefined;
  }

  private check(now = false): void {
    if (this.requestedFrom !== null) return;
    const head = this.deps.execution.tip.header.number;
    let best: string | null = null;
    let bestHeight = head;
    for (const [id, h] of this.peerHeights) {
      if (h > bestHeight) {
        best = id;
        bestHeight = h;
      }
    }
    if (!best) {
      this.behindSince = 0;
      return;
    }
    // One block behind is normal while peers commit; stuck there, or further behind, we sync.
    if (bestHeight === head + 1n && !now && !this.wantedHash) {
      if (this.behindSince === 0) this.behindSince = Date.now();
      if (Date.now() - this.behindSince < STUCK_MS) return;
    }
    this.behindSince = 0;
    if (!this.syncing)
      this.log.info({ head: Number(head), target: Number(bestHeight), peer: best.slice(0, 12) }, "behind peers: syncing blocks");
    this.syncing = true;
    this.requestedFrom = best;
    this.deps.p2p.send(best, SYNC_REQUEST, encodeSyncRequest({ kind: "range", from: head + 1n, count: BATCH }));
    // A peer that never answers must not stall sync.
    setTimeout(() => {
      if (this.requestedFrom === best) {
        this.requestedFrom = null;
        this.peerHeights.delete(best);
      }
    }, 10_000).unref();
  }

  private async apply(from: string, resp: SyncResponse): Promise<void> {
    let applied = 0;
    try {
      for (const { block: bytes, commit: commitBytes } of resp.blocks) {
        const ok = await this.deps.withEngine(async () => {
          const ex = this.deps.execution;
          const block = await this.deps.materialize(bytes);
          const height = block.header.number;
          if (height !== ex.tip.header.number + 1n) return height <= ex.tip.header.number;
          const commit = decodeCommit(commitBytes);
          if (commit.height !== height || !equalsBytes(commit.blockHash, block.hash)) throw new Error("commit is for another block");
          verifyCommit(this.deps.chainId, commit, this.deps.validators.forHeight(height).validators);
          const verdict = await ex.processProposal(block);
          if (!verdict.accept) throw new Error(`synced block ${height} is invalid: ${verdict.reason}`);
          await ex.finalizeBlock(block, { commit: commitBytes });
          await ex.commit();
          return true;
        });
        if (!ok) break;
        applied++;
      }
    } catch (e) {
      this.log.warn({ peer: from.slice(0, 12), err: (e as Error).message }, "bad blocks from peer during sync");
      this.deps.p2p.report(from, Verdict.REJECT);
      this.peerHeights.delete(from);
    }
    const head = this.deps.execution.tip.header.number;
    if (applied > 0) this.log.info({ head: Number(head), applied }, "synced blocks");
    if (this.wantedHash && this.deps.execution.store.blockByHash(this.wantedHash)) this.wantedHash = null;
    const best = Math.max(0, ...[...this.peerHeights.values()].map(Number));
    if (BigInt(best) > head + 1n || (this.wantedHash && applied > 0)) {
      this.check(true);
      return;
    }
    if (this.syncing || applied > 0) {
      this.syncing = false;
      this.deps.onSynced();
    }
  }
}
