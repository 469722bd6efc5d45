import { bytesToHex, hexToBytes, keccak256, type Logger, type Metrics, rlpDecode, rlpEncode } from "@zerog/core";
import { decodeBlock, decodeBlockRaw, encodeBlock } from "../block/blockCodec.js";
import { ChainError, ChainErrorCode } from "../errors.js";
import { type Block, listCandidates } from "../execution/engine.js";
import type { Execution } from "../execution/execution.js";
import type { Mempool } from "../mempool/mempool.js";
import { BLOCK_PART, EVIDENCE, PREVIEW, PROPOSAL, SYNC_REQUEST, SYNC_RESPONSE, TX, Verdict, VOTE } from "../p2p/channels.js";
import type { PeerManager } from "../p2p/peerManager.js";
import type { SenderRecovery } from "../tx/senderRecovery.js";
import type { SignedTx } from "../tx/transaction.js";
import { parseTx } from "../tx/transaction.js";
import { BlockAssembler } from "./blockAssembly.js";
import { BlockSync } from "./blockSync.js";
import { ConsensusError, ConsensusErrorCode } from "./errors.js";
import type { EvidencePool } from "./evidencePool.js";
import {
  type BlockPreview,
  decodeBlockPart,
  decodeBlockPreview,
  decodeTxBatch,
  encodeBlockPart,
  encodeBlockPreview,
  encodeTxBatch,
  MAX_PREVIEW_TXS,
  splitBlock,
} from "./messages.js";
import type { PrivValidator } from "./privval.js";
import {
  aggregateCommit,
  createDuplicateVoteEvidence,
  decodeEvidence,
  decodeProposal,
  decodeVote,
  encodeCommit,
  encodeEvidence,
  encodeProposal,
  encodeVote,
  verifyProposal,
  verifyVotes,
} from "./signing.js";
import { type ConsensusInput, type ConsensusOutput, ConsensusStateMachine } from "./stateMachine.js";
import { type ConsensusTimeouts, defaultConsensusTimeouts, type Step, type Vote } from "./types.js";
import type { ValidatorSets } from "./validatorSets.js";
import { type ConsensusWAL, WALRecordKind } from "./wal.js";

export interface ConsensusDriverOptions {
  timeouts: ConsensusTimeouts;
  /** Least time between the starts of two heights while transactions wait (ms). */
  blockTime: number;
  /** Most time between heights when nothing waits: empty blocks keep time moving (ms). */
  emptyBlockInterval: number;
  /** Stop filling a proposal after this long (ms). */
  maxBuildMs: number;
  /**
   * Send block previews when proposing, and build previewed blocks (see `onPreview`): checking a proposal then
   * overlaps the proposer's sealing of it.
   */
  previews: boolean;
}

export const defaultConsensusDriverOptions: ConsensusDriverOptions = {
  timeouts: defaultConsensusTimeouts,
  blockTime: 250,
  emptyBlockInterval: 2_000,
  maxBuildMs: 200,
  previews: true,
};

export interface ConsensusDriverDeps {
  chainId: bigint;
  execution: Execution;
  mempool: Mempool;
  recovery: SenderRecovery;
  p2p: PeerManager;
  validators: ValidatorSets;
  evidence: EvidencePool;
  /** Null on a full node: it follows consensus but never signs. */
  privval: PrivValidator | null;
  wal: ConsensusWAL | null;
  /** Receives the priority fees of blocks this node proposes. */
  coinbase: Uint8Array;
  logger: Logger;
  metrics?: Metrics | null;
  onFatal(error: unknown): void;
  now?: () => number;
}

interface KnownBlock {
  height: bigint;
  /** Decoded with senders, once needed. */
  block?: Block;
  bytes: Uint8Array;
}

interface UncheckedVote {
  from: string;
  vote: Vote;
  data: Uint8Array;
  seenKey: string;
  publicKey: Uint8Array;
  address: Uint8Array;
}

/** A message this node signed, with the channel it goes out on (and a proposal's block parts). */
interface OwnMessage {
  channel: number;
  data: Uint8Array;
  parts?: Uint8Array[];
}

/** While a height is undecided, our own messages for it are sent again this often (a healed partition hears them). */
const REBROADCAST_MS = 500;
/** How often transactions admitted here from clients are checked for re-gossip. */
const TX_REGOSSIP_MS = 2_000;
/** A client's transaction still first in line for its sender after this long is gossiped again. */
const TX_STALE_MS = 3_000;

/**
 * Runs one node's consensus: feeds the pure state machine with verified messages from peers, its
 * own signed votes, timeouts and block checks; turns its outputs into signatures (through the
 * double-sign guard), WAL records, gossip and engine calls. Inputs are handled one at a time in
 * arrival order; anything that must survive a crash is in the WAL before it leaves the process.
 */
export class ConsensusDriver {
  private readonly opts: ConsensusDriverOptions;
  private readonly deps: ConsensusDriverDeps;
  private readonly log: Logger;
  private readonly now: () => number;
  private sm: ConsensusStateMachine;
  private height = 0n;
  /** Height the state machine works on; 0 while waiting to start the next one. */
  private started = 0n;
  private readonly blocks = new Map<string, KnownBlock>();
  private readonly wanted = new Map<string, { height: bigint; round: number }>();
  private readonly assembler = new BlockAssembler();
  private readonly timers = new Set<NodeJS.Timeout>();
  private queue: Promise<void> = Promise.resolve();
  /** Engine calls run one at a time (a proposal's execution must not interleave with a commit). */
  private engineQueue: Promise<unknown> = Promise.resolve();
  /** (height, round) keys of values the WAL holds: replay must not build them again. */
  private readonly walOwnValues = new Set<string>();
  private running = false;
  private lastStart = 0;
  private startTimer: NodeJS.Timeout | null = null;
  private inflight: Promise<unknown> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];
  private pendingTxs: Uint8Array[] = [];
  /** Our signed proposal and votes of the current height, with the channel they went out on. */
  private own: OwnMessage[] = [];
  /**
   * Our signed proposal of the current height with its parts. Not in the periodic rebroadcast (a full
   * block is large) but sent to every peer that connects while the height is undecided: a proposal
   * made before a peer was connected (validators starting together) would otherwise cost a round.
   */
  private ownProposal: OwnMessage | null = null;
  private rebroadcastTimer: NodeJS.Timeout | null = null;
  private txRegossipTimer: NodeJS.Timeout | null = null;
  /** Transactions admitted here from clients, by hash, with when they were last gossiped. */
  private readonly localTxs = new Map<string, { raw: Uint8Array; sentAt: number }>();
  /** Our latest votes of the height decided last (sent to peers still deciding it). */
  private lastHeightOwn: { height: bigint; messages: OwnMessage[] } | null = null;
  /** The consensus height each peer last announced. */
  private readonly peerConsensusHeights = new Map<string, bigint>();
  /** Hashes of votes verified, or waiting in `uncheckedVotes`, at the current and next height (cleared per height). */
  private seenVotes = new Set<string>();
  /** Votes that arrived in this event-loop turn, checked together at its end (`checkVotes`). */
  private uncheckedVotes: UncheckedVote[] = [];
  private txFlushScheduled = false;
  /** The (height, round) of the last block preview acted on: one per round, the first to arrive. */
  private previewed = "";
  /** Hash of the block built from the last preview: a proposal with this hash was executed ahead. */
  private previewedHash = "";
  private readonly previews;
  private readonly voteBatches;
  readonly sync: BlockSync;

  constructor(opts: Partial<ConsensusDriverOptions>, deps: ConsensusDriverDeps) {
    this.opts = { ...defaultConsensusDriverOptions, ...opts, timeouts: { ...defaultConsensusTimeouts, ...opts.timeouts } };
    this.deps = deps;
    this.log = deps.logger;
    this.previews =
      deps.metrics?.counter(
        "zg_consensus_block_previews_total",
        "Block previews: sent (as proposer), built (a peer's, ahead of its proposal), used (its proposal then needed no execution)",
        ["outcome"],
      ) ?? null;
    this.voteBatches =
      deps.metrics?.histogram(
        "zg_consensus_vote_batch_size",
        "Votes from peers checked together (one event-loop turn)",
        [1, 2, 3, 4, 6, 8, 16, 32],
      ) ?? null;
    this.now = deps.now ?? Date.now;
    this.sm = new ConsensusStateMachine({ ownIndex: null, timeouts: this.opts.timeouts });
    this.sync = new BlockSync({
      chainId: deps.chainId,
      execution: deps.execution,
      p2p: deps.p2p,
      validators: deps.validators,
      materialize: (bytes) => this.materialize(bytes),
      withEngine: (fn) => this.withEngine(fn),
      logger: deps.logger.child({ module: "sync" }),
      consensusHeight: () => this.height,
      onSynced: () => this.enqueue(() => this.afterSync()),
      onPeerStatus: (peer, consensusHeight) => this.onPeerStatus(peer, consensusHeight),
      onFatal: deps.onFatal,
    });
  }

  /** The height consensus is deciding, and its round and step (for RPC and logs). */
  status(): { height: bigint; round: number; step: number; syncing: boolean } {
    const s = this.sm.state();
    return { height: this.height, round: s.round, step: s.step, syncing: this.sync.syncing };
  }

  async start(): Promise<void> {
    this.running = true;
    const p2p = this.deps.p2p;
    this.unsubscribe.push(
      p2p.onMessage(PROPOSAL, (from, data) => this.onProposal(from, data)),
      p2p.onMessage(BLOCK_PART, (from, data) => this.onBlockPart(from, data)),
      p2p.onMessage(VOTE, (from, data) => this.onVote(from, data)),
      p2p.onMessage(TX, (from, data) => this.onTxs(from, data)),
      p2p.onMessage(EVIDENCE, (_from, data) => this.onEvidence(data)),
      p2p.onMessage(SYNC_REQUEST, (from, data) => this.sync.onRequest(from, data)),
      p2p.onMessage(SYNC_RESPONSE, (from, data) => this.sync.onResponse(from, data)),
      p2p.onMessage(PREVIEW, (from, data) => this.onPreview(from, data)),
      p2p.onPeer((id, status) => {
        if (status === "connected") this.catchUpPeer(id);
        else this.peerConsensusHeights.delete(id);
      }),
      this.deps.execution.onTip((c) => {
        if (this.localTxs.size > 0) for (const tx of c.block.txs) this.localTxs.delete(bytesToHex(tx.hash));
      }),
    );
    this.sync.start();
    this.rebroadcastTimer = setInterval(() => this.rebroadcast(), REBROADCAST_MS);
    this.rebroadcastTimer.unref();
    this.txRegossipTimer = setInterval(() => this.regossipTxs(), TX_REGOSSIP_MS);
    this.txRegossipTimer.unref();
    this.height = this.deps.execution.tip.header.number + 1n;
    await this.enqueue(() => this.replayWAL());
    this.scheduleStart();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const u of this.unsubscribe.splice(0)) u();
    this.sync.stop();
    if (this.rebroadcastTimer) clearInterval(this.rebroadcastTimer);
    if (this.txRegossipTimer) clearInterval(this.txRegossipTimer);
    if (this.startTimer) clearTimeout(this.startTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.queue;
    await this.inflight;
  }

  /**
   * Gossips a transaction this node admitted from a client (peers admit it themselves). Gossip is
   * sent once per peer; if a peer missed it (traffic lost, or the peer refused it then) and it is
   * still the next of its sender here after `TX_STALE_MS`, it is gossiped again: nothing else would
   * ever bring it to a proposer from a node that does not propose.
   */
  gossipTx(raw: Uint8Array, hash: Uint8Array): void {
    this.localTxs.set(bytesToHex(hash), { raw, sentAt: this.now() });
    this.queueTxGossip(raw);
  }

  private queueTxGossip(raw: Uint8Array): void {
    this.pendingTxs.push(raw);
    if (this.txFlushScheduled) return;
    this.txFlushScheduled = true;
    setImmediate(() => {
      this.txFlushScheduled = false;
      const batch = this.pendingTxs;
      this.pendingTxs = [];
      if (batch.length > 0) this.deps.p2p.broadcast(TX, encodeTxBatch(batch));
    });
  }

  // --- the serial inbox ---

  private enqueue(fn: () => void | Promise<void>): Promise<void> {
    const next = this.queue.then(async () => {
      if (!this.running) return;
      try {
        await fn();
      } catch (e) {
        this.log.fatal({ err: e }, "consensus step failed");
        this.running = false;
        this.deps.onFatal(e);
      }
    });
    this.queue = next;
    return next;
  }

  private withEngine<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.engineQueue.then(fn, fn);
    this.engineQueue = run.catch(() => {});
    return run;
  }

  /** Logs an input to the WAL (unless replaying) and runs the state machine on it. */
  private input(i: ConsensusInput, walRecord?: [number, Uint8Array]): void {
    if (walRecord && this.deps.wal) this.deps.wal.append(walRecord[0], walRecord[1]);
    for (const out of this.sm.handle(i)) this.output(out);
  }

  // --- heights ---

  /** When the next height may start: after `blockTime` with transactions waiting, else after the empty-block interval. */
  private scheduleStart(): void {
    if (!this.running || this.started === this.height || this.sync.syncing) return;
    if (this.startTimer) clearTimeout(this.startTimer);
    const since = this.now() - this.lastStart;
    const wait = this.deps.mempool.status().pending > 0 ? this.opts.blockTime - since : this.opts.emptyBlockInterval - since;
    if (wait <= 0) {
      void this.enqueue(() => this.startHeight());
      return;
    }
    this.startTimer = setTimeout(() => this.scheduleStart(), Math.min(wait, this.opts.blockTime));
  }

  private startHeight(): void {
    if (this.started === this.height) return;
    const validators = this.deps.validators.forHeight(this.height);
    const me = this.deps.privval ? validators.indexOf(this.deps.privval.address) : -1;
    this.started = this.height;
    this.lastStart = this.now();
    this.log.debug({ height: Number(this.height) }, "height started");
    this.input({ kind: "newHeight", height: this.height, validators, ownIndex: me >= 0 ? me : null });
  }

  /** Re-feeds the WAL of the current height, so a restarted validator keeps its lock and votes. */
  private replayWAL(): void {
    const wal = this.deps.wal;
    if (!wal) return;
    const records = wal.replay(this.height);
    if (records.length === 0) return;
    this.log.info({ height: Number(this.height), records: records.length }, "replaying the consensus WAL");
    for (const r of records) {
      if (r.kind !== WALRecordKind.OwnValue) continue;
      const [h, round] = rlpDecode(r.payload) as Uint8Array[];
      this.walOwnValues.add(`${toBig(h!)}/${toBig(round!)}`);
    }
    this.startHeight();
    const me = this.deps.privval ? this.deps.validators.forHeight(this.height).indexOf(this.deps.privval.address) : -1;
    for (const r of records) {
      switch (r.kind) {
        case WALRecordKind.Proposal:
          this.input({ kind: "proposal", proposal: decodeProposal(r.payload) });
          break;
        case WALRecordKind.Vote: {
          const vote = decodeVote(r.payload);
          // Our own votes of this height are sent again until it is decided (a peer may never have received them).
          if (vote.validatorIndex === me) this.own.push({ channel: VOTE, data: r.payload });
          this.input({ kind: "vote", vote });
          break;
        }
        case WALRecordKind.BlockValidity: {
          const [h, round, hash, valid] = rlpDecode(r.payload) as Uint8Array[];
          this.input({ kind: "blockValidity", height: toBig(h!), round: Number(toBig(round!)), blockHash: hash!, valid: valid![0] === 1 });
          break;
        }
        case WALRecordKind.Timeout: {
          const [step, h, round] = rlpDecode(r.payload) as Uint8Array[];
          this.input({ kind: "timeout", step: Number(toBig(step!)) as Step, height: toBig(h!), round: Number(toBig(round!)) });
          break;
        }
        case WALRecordKind.OwnValue: {
          const [h, round, bytes] = rlpDecode(r.payload) as Uint8Array[];
          const decoded = decodeBlock(bytes!);
          this.rememberBytes(decoded.block.header.number, decoded.block.hash, bytes!);
          this.input({ kind: "ownValue", height: toBig(h!), round: Number(toBig(round!)), blockHash: decoded.block.hash });
          break;
        }
      }
    }
    this.walOwnValues.clear();
  }

  // --- outputs ---

  private output(o: ConsensusOutput): void {
    switch (o.kind) {
      case "getValue":
        if (!this.replayingOwnValue(o.height, o.round)) void this.buildProposal(o.height, o.round);
        return;
      case "propose": {
        const proposal = this.guarded(o.proposal.height, () =>
          this.deps.privval!.signProposal(this.deps.chainId, { ...o.proposal, timestamp: this.now() }),
        );
        if (!proposal) return;
        const encoded = encodeProposal(proposal);
        this.flushWAL([WALRecordKind.Proposal, encoded]);
        const known = this.blocks.get(bytesToHex(o.proposal.blockHash));
        const parts = known
          ? splitBlock(o.proposal.height, o.proposal.round, o.proposal.blockHash, known.bytes).map((part) => encodeBlockPart(part))
          : [];
        this.ownProposal = { channel: PROPOSAL, data: encoded, parts };
        this.send(this.ownProposal);
        this.input({ kind: "proposal", proposal });
        return;
      }
      case "vote": {
        const vote = this.guarded(o.vote.height, () => this.deps.privval!.signVote(this.deps.chainId, o.vote));
        if (!vote) return;
        const encoded = encodeVote(vote);
        this.flushWAL([WALRecordKind.Vote, encoded]);
        this.sendOwn({ channel: VOTE, data: encoded });
        this.log.debug({ height: Number(vote.height), round: vote.round, type: vote.type, nil: vote.blockHash === null }, "voted");
        this.input({ kind: "vote", vote });
        return;
      }
      case "scheduleTimeout": {
        const t = setTimeout(() => {
          this.timers.delete(t);
          void this.enqueue(() =>
            this.input({ kind: "timeout", step: o.step, height: o.height, round: o.round }, [
              WALRecordKind.Timeout,
              rlpEncode([o.step, o.height, o.round]),
            ]),
          );
        }, o.ms);
        this.timers.add(t);
        return;
      }
      case "validate": {
        const key = bytesToHex(o.blockHash);
        if (this.blocks.has(key)) void this.validateBlock(o.height, o.round, o.blockHash);
        else this.wanted.set(key, { height: o.height, round: o.round });
        return;
      }
      case "decide":
        void this.enqueue(() => this.decide(o.height, o.round, o.blockHash, o.precommits));
        return;
      case "evidence": {
        // Canonical order (CometBFT's): nil first, then by block hash, as every verifier expects.
        const set = this.deps.validators.forHeight(o.evidence.voteA.height);
        const encoded = encodeEvidence(createDuplicateVoteEvidence(o.evidence.voteA, o.evidence.voteB, set.validators));
        this.log.debug({ validator: bytesToHex(o.evidence.validator) }, "duplicate vote seen");
        if (this.deps.evidence.add(encoded)) {
          this.log.warn(
            { validator: bytesToHex(o.evidence.validator), height: Number(o.evidence.voteA.height) },
            "duplicate vote: evidence recorded",
          );
          this.deps.p2p.broadcast(EVIDENCE, encoded);
        }
        return;
      }
      case "misbehavior":
        this.log.warn(
          { reason: o.reason, validatorIndex: o.validatorIndex, height: Number(o.height), round: o.round },
          "consensus misbehaviour",
        );
        return;
    }
  }

  /**
   * Signs through the double-sign guard. A refusal is not fatal: replaying the WAL after a crash re-derives messages
   * of steps the guard has since passed (it signed a later vote of the round before the WAL got the earlier one's
   * successors), and the WAL's copies of those messages are fed in after them. Like CometBFT, skip and go on; the
   * guard has kept the node from signing anything that conflicts. Any other failure (the guard cannot persist) stays
   * fatal.
   */
  private guarded<T>(height: bigint, sign: () => T): T | null {
    try {
      return sign();
    } catch (e) {
      if (!(e instanceof ConsensusError) || e.code !== ConsensusErrorCode.DOUBLE_SIGN) throw e;
      this.log.info({ height: Number(height), reason: e.message }, "not signing again: the double-sign guard has passed this step");
      return null;
    }
  }

  private sendOwn(m: OwnMessage): void {
    this.own.push(m);
    this.send(m);
  }

  /** Sends an own message (with a proposal's parts) to every peer, or to `peer` only. */
  private send(m: OwnMessage, peer?: string): void {
    const p2p = this.deps.p2p;
    const out = (channel: number, data: Uint8Array) => (peer === undefined ? p2p.broadcast(channel, data) : p2p.send(peer, channel, data));
    out(m.channel, m.data);
    for (const part of m.parts ?? []) out(BLOCK_PART, part);
  }

  /** Gossips again the clients' transactions that are stale here and first in line for their sender. */
  private regossipTxs(): void {
    if (!this.running || this.localTxs.size === 0) return;
    const mempool = this.deps.mempool;
    // Included ones leave at each tip; replaced or evicted ones are swept when they pile up.
    if (this.localTxs.size > mempool.size + 1_000) {
      for (const k of this.localTxs.keys()) if (!mempool.has(hexToBytes(k))) this.localTxs.delete(k);
    }
    const now = this.now();
    let n = 0;
    for (const tx of mempool.pendingHeads()) {
      const local = this.localTxs.get(bytesToHex(tx.hash));
      if (!local || now - local.sentAt < TX_STALE_MS) continue;
      local.sentAt = now;
      this.queueTxGossip(local.raw);
      n++;
    }
    if (n > 0) this.log.debug({ txs: n }, "stale client transactions gossiped again");
  }

  /**
   * Until the height is decided, our messages go out again: a peer that missed them (a partition,
   * a restart, a dropped frame) still hears every vote, without which no quorum might ever form.
   */
  private rebroadcast(): void {
    if (!this.running || this.started !== this.height) return;
    // The latest votes and proposal suffice: earlier rounds are superseded.
    for (const m of this.own.slice(-4)) this.send(m);
  }

  /**
   * A peer that was more than one height behind (it ignored our messages for this height, which
   * were too far ahead of it) and has now caught up to our height gets them again; otherwise a
   * validator that block-synced at startup or after a pause times out its first height and, when it
   * proposes the next, costs everyone a round.
   */
  private onPeerStatus(peer: string, consensusHeight: bigint): void {
    const before = this.peerConsensusHeights.get(peer);
    this.peerConsensusHeights.set(peer, consensusHeight);
    if (before !== undefined && before + 1n < consensusHeight && consensusHeight === this.height) this.catchUpPeer(peer);
    // A peer still on the height we just decided gets our last votes of it (CometBFT gossips its
    // LastCommit the same way): with the others' it has the +2/3 precommits to decide, and fetches
    // the block if it never received it, instead of waiting to notice it is stuck.
    const last = this.lastHeightOwn;
    if (last && consensusHeight === last.height && consensusHeight + 1n === this.height) for (const m of last.messages) this.send(m, peer);
  }

  /** Sends a peer that just connected our proposal and latest votes of the undecided height. */
  private catchUpPeer(id: string): void {
    if (!this.running || this.started !== this.height) return;
    for (const m of [...(this.ownProposal ? [this.ownProposal] : []), ...this.own.slice(-4)]) this.send(m, id);
  }

  /** Appends and fsyncs: an own message is in the WAL before any peer can see it. */
  private flushWAL(record: [number, Uint8Array]): void {
    const wal = this.deps.wal;
    if (!wal) return;
    wal.append(record[0], record[1]);
    wal.flush();
  }

  /** During WAL replay the built value follows as an OwnValue record: building again would differ. */
  private replayingOwnValue(height: bigint, round: number): boolean {
    return this.walOwnValues.has(`${height}/${round}`);
  }

  private async buildProposal(height: bigint, round: number): Promise<void> {
    const ex = this.deps.execution;
    const built = await this.withEngine(async () => {
      if (height !== ex.tip.header.number + 1n) return null;
      const seconds = BigInt(Math.floor(this.now() / 1000));
      const parentTime = ex.tip.header.timestamp;
      const misbehavior = this.deps.evidence.forBlock();
      const coinbase = this.deps.coinbase;
      return ex.prepareProposal({
        height,
        timestamp: seconds > parentTime ? seconds : parentTime,
        proposer: coinbase,
        candidates: this.deps.mempool.candidates(ex.nextBaseFee()),
        maxBuildMs: this.opts.maxBuildMs,
        misbehavior,
        // Peers build the same block while we seal it (a preview does not carry misbehaviour: rare, not worth it).
        ...(misbehavior.length === 0 && this.opts.previews
          ? {
              onTxsChosen: (txs: readonly SignedTx[], timestamp: bigint) => {
                // Peers refuse longer lists (a genesis with a huge gas limit): send none rather than be scored down.
                if (txs.length === 0 || txs.length > MAX_PREVIEW_TXS) return;
                const preview = { height, round, timestamp, coinbase, txHashes: txs.map((t) => t.hash) };
                try {
                  this.deps.p2p.broadcast(PREVIEW, encodeBlockPreview(preview));
                  // Sealing follows at once and holds the event loop: without this the preview would leave after it.
                  this.deps.p2p.flush();
                  this.previews?.inc({ outcome: "sent" });
                } catch (e) {
                  // Only an optimisation: never let it fail the proposal.
                  this.log.warn({ height: Number(height), err: (e as Error).message }, "block preview not sent");
                }
              },
            }
          : {}),
      });
    });
    if (!built) return;
    const { block, rejected } = built;
    for (const { tx } of rejected) this.deps.mempool.remove(tx.hash);
    const bytes = encodeBlock(block);
    await this.enqueue(() => {
      this.blocks.set(bytesToHex(block.hash), { height, block, bytes });
      this.input({ kind: "ownValue", height, round, blockHash: block.hash }, [WALRecordKind.OwnValue, rlpEncode([height, round, bytes])]);
    });
  }

  private rememberBytes(height: bigint, hash: Uint8Array, bytes: Uint8Array): void {
    const key = bytesToHex(hash);
    if (!this.blocks.has(key)) this.blocks.set(key, { height, bytes });
  }

  /** Checks a proposed block: decodes it, recovers senders, checks misbehaviour, executes it. */
  private async validateBlock(height: bigint, round: number, hash: Uint8Array): Promise<void> {
    const key = bytesToHex(hash);
    const known = this.blocks.get(key);
    if (!known) return;
    let valid = false;
    const started = this.now();
    try {
      const block = known.block ?? (await this.materialize(known.bytes));
      known.block = block;
      const materialized = this.now();
      const reason =
        this.deps.evidence.checkBlock(block.misbehavior ?? []) ??
        (block.header.timestamp > BigInt(Math.floor(this.now() / 1000)) + 2n ? "timestamp too far in the future" : undefined);
      if (reason === undefined) {
        const verdict = await this.withEngine(() => this.deps.execution.processProposal(block));
        valid = verdict.accept;
        if (valid && key === this.previewedHash) this.previews?.inc({ outcome: "used" });
        this.log.debug(
          { height: Number(height), round, txs: block.txs.length, recoverMs: materialized - started, totalMs: this.now() - started },
          "proposal checked",
        );
        if (!verdict.accept) this.log.warn({ height: Number(height), round, reason: verdict.reason }, "proposed block rejected");
      } else this.log.warn({ height: Number(height), round, reason }, "proposed block rejected");
    } catch (e) {
      this.log.warn({ height: Number(height), round, err: (e as Error).message }, "proposed block undecodable");
    }
    await this.enqueue(() =>
      this.input({ kind: "blockValidity", height, round, blockHash: hash, valid }, [
        WALRecordKind.BlockValidity,
        rlpEncode([height, round, hash, valid ? 1 : 0]),
      ]),
    );
  }

  /** Turns block bytes into a block whose transactions have senders (known ones from the mempool). */
  async materialize(bytes: Uint8Array): Promise<Block> {
    const decoded = decodeBlockRaw(bytes);
    const mempool = this.deps.mempool;
    const txs: (SignedTx | Promise<SignedTx>)[] = new Array(decoded.txs.length);
    let pending = false;
    for (const [i, t] of decoded.txs.entries()) {
      const known = mempool.get(t.hash);
      if (known) txs[i] = known;
      else {
        let parsed: ReturnType<typeof parseTx>;
        try {
          parsed = parseTx(t.raw);
        } catch (e) {
          throw new ChainError(
            { code: ChainErrorCode.INVALID_BLOCK, height: decoded.block.header.number, reason: (e as Error).message },
            `undecodable block: transaction ${i}: ${(e as Error).message}`,
          );
        }
        txs[i] = this.deps.recovery.recover(parsed);
        pending = true;
      }
    }
    return { ...decoded.block, txs: pending ? await Promise.all(txs) : (txs as SignedTx[]) };
  }

  private async decide(height: bigint, round: number, hash: Uint8Array, precommits: Vote[]): Promise<void> {
    if (height !== this.height) return;
    const validators = this.deps.validators.forHeight(height);
    const commit = aggregateCommit(height, round, hash, precommits, validators.size);
    const known = this.blocks.get(bytesToHex(hash));
    if (!known) {
      // Decided without the block's bytes: block sync fetches the block with its commit.
      this.log.info({ height: Number(height) }, "decided a block we do not have; fetching it");
      this.sync.requestBlock(hash);
      return;
    }
    const block = known.block ?? (await this.materialize(known.bytes));
    this.log.debug({ height: Number(height), round }, "decision reached");
    await this.withEngine(async () => {
      await this.deps.execution.finalizeBlock(block, { commit: encodeCommit(commit) });
      // One block on its way to disk at a time, overlapping the next height.
      await this.inflight;
      this.inflight = this.deps.execution.commit().catch((e: unknown) => this.deps.onFatal(e));
    });
    this.deps.evidence.onCommitted(block.misbehavior ?? []);
    this.deps.wal?.writeEndHeight(height);
    this.log.debug({ height: Number(height), round, txs: block.txs.length }, "block decided");
    this.nextHeight(height + 1n);
  }

  private nextHeight(height: bigint): void {
    this.lastHeightOwn = { height: this.height, messages: this.own.filter((m) => m.channel === VOTE).slice(-2) };
    this.height = height;
    this.own = [];
    this.ownProposal = null;
    this.seenVotes = new Set();
    // Blocks of the new height may already be here (a fast proposer); older ones are done.
    for (const [k, b] of this.blocks) if (b.height < height) this.blocks.delete(k);
    for (const [k, w] of this.wanted) if (w.height < height) this.wanted.delete(k);
    this.assembler.prune(height);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sync.announce();
    this.scheduleStart();
  }

  /** Block sync moved the tip: consensus resumes at the height after it. */
  private afterSync(): void {
    const next = this.deps.execution.tip.header.number + 1n;
    if (next <= this.height && this.started === this.height) return;
    this.sm = new ConsensusStateMachine({ ownIndex: null, timeouts: this.opts.timeouts });
    this.started = 0n;
    this.deps.wal?.writeEndHeight(next - 1n);
    this.nextHeight(next);
  }

  // --- messages from peers ---

  private onProposal(_from: string, data: Uint8Array): Verdict | undefined {
    let proposal: ReturnType<typeof decodeProposal>;
    try {
      proposal = decodeProposal(data);
    } catch {
      return Verdict.REJECT;
    }
    if (proposal.height < this.height || proposal.height > this.height + 1n) return Verdict.IGNORE;
    const set = this.deps.validators.forHeight(proposal.height);
    const v = set.validators[proposal.validatorIndex];
    if (!v || !verifyProposal(this.deps.chainId, proposal, v.publicKey)) return Verdict.REJECT;
    this.wakeFor(proposal.height);
    void this.enqueue(() => this.input({ kind: "proposal", proposal }, [WALRecordKind.Proposal, data]));
    return Verdict.ACCEPT;
  }

  private onBlockPart(_from: string, data: Uint8Array): Verdict | undefined {
    let part: ReturnType<typeof decodeBlockPart>;
    try {
      part = decodeBlockPart(data);
    } catch {
      return Verdict.REJECT;
    }
    if (part.height < this.height || part.height > this.height + 1n) return Verdict.IGNORE;
    const bytes = this.assembler.add(part);
    if (!bytes) return undefined;
    void this.enqueue(() => this.blockArrived(part.height, part.blockHash, bytes));
    return Verdict.ACCEPT;
  }

  private blockArrived(height: bigint, hash: Uint8Array, bytes: Uint8Array): void {
    const key = bytesToHex(hash);
    if (this.blocks.has(key)) return;
    this.rememberBytes(height, hash, bytes);
    const w = this.wanted.get(key);
    if (w) {
      this.wanted.delete(key);
      void this.validateBlock(w.height, w.round, hash);
    }
  }

  /**
   * Votes are checked at the end of the event-loop turn they arrived in, together (`verifyVotes`): the prevotes or
   * precommits of one block that arrive in one turn cost one pairing check. Their verdicts reach the peer manager
   * then.
   */
  private onVote(from: string, data: Uint8Array): Verdict | undefined {
    // Rebroadcasts repeat votes every half second: skip the ones already verified or waiting to be.
    const seenKey = Buffer.from(keccak256(data)).toString("latin1");
    if (this.seenVotes.has(seenKey)) return undefined;
    let vote: Vote;
    try {
      vote = decodeVote(data);
    } catch {
      return Verdict.REJECT;
    }
    if (vote.height < this.height || vote.height > this.height + 1n) return Verdict.IGNORE;
    const v = this.deps.validators.forHeight(vote.height).validators[vote.validatorIndex];
    if (!v) return Verdict.REJECT;
    this.seenVotes.add(seenKey);
    this.uncheckedVotes.push({ from, vote, data, seenKey, publicKey: v.publicKey, address: v.address });
    if (this.uncheckedVotes.length === 1) setImmediate(() => this.checkVotes());
    return undefined;
  }

  private checkVotes(): void {
    const batch = this.uncheckedVotes;
    this.uncheckedVotes = [];
    if (!this.running || batch.length === 0) return;
    const valid = verifyVotes(this.deps.chainId, batch);
    this.voteBatches?.observe(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const { from, vote, data, seenKey, address } = batch[i]!;
      if (!valid[i]) {
        this.seenVotes.delete(seenKey);
        this.log.debug(
          {
            peer: from.slice(0, 12),
            height: Number(vote.height),
            round: vote.round,
            type: vote.type,
            nil: vote.blockHash === null,
            index: vote.validatorIndex,
            expected: bytesToHex(address),
          },
          "vote with a bad signature rejected",
        );
        this.deps.p2p.report(from, Verdict.REJECT);
        continue;
      }
      this.deps.p2p.report(from, Verdict.ACCEPT);
      this.wakeFor(vote.height);
      void this.enqueue(() => this.input({ kind: "vote", vote }, [WALRecordKind.Vote, data]));
    }
  }

  /** Another validator already works on our height: start it now rather than wait for the block timer. */
  private wakeFor(height: bigint): void {
    if (height === this.height && this.started !== this.height && !this.sync.syncing) void this.enqueue(() => this.startHeight());
  }

  private onTxs(_from: string, data: Uint8Array): Verdict | undefined {
    let raws: Uint8Array[];
    try {
      raws = decodeTxBatch(data);
    } catch {
      return Verdict.REJECT;
    }
    const ex = this.deps.execution;
    const mempool = this.deps.mempool;
    for (const raw of raws) {
      let parsed: ReturnType<typeof parseTx>;
      try {
        parsed = parseTx(raw);
      } catch {
        continue;
      }
      if (mempool.has(parsed.hash)) continue;
      this.deps.recovery.recover(parsed).then(
        (tx) => {
          try {
            mempool.add(tx, { baseFee: ex.nextBaseFee(), blockGasLimit: ex.tip.header.gasLimit });
            this.scheduleStart();
          } catch {
            // Invalid here (already included, underpriced...): peers' views differ briefly; not their fault.
          }
        },
        () => {},
      );
    }
    return undefined;
  }

  /**
   * A proposer's transactions for (height, round), ahead of its block: when every one is in our mempool, build
   * that block now, so the proposal, once it arrives and hashes the same, is accepted without executing it again.
   * The preview is unsigned, so it is only a hint: one per round is acted on (the first), only for the height we
   * are at, only before any block of that height is known here; a false one costs one block's execution and
   * changes nothing else (the real proposal is then executed as it would have been).
   */
  private onPreview(_from: string, data: Uint8Array): Verdict | undefined {
    if (!this.opts.previews) return undefined;
    let p: BlockPreview;
    try {
      p = decodeBlockPreview(data);
    } catch {
      return Verdict.REJECT;
    }
    const key = `${p.height}/${p.round}`;
    if (p.height !== this.height || this.previewed === key) return Verdict.IGNORE;
    this.previewed = key;
    const mempool = this.deps.mempool;
    const txs: SignedTx[] = new Array(p.txHashes.length);
    for (const [i, h] of p.txHashes.entries()) {
      const tx = mempool.get(h);
      if (!tx) return undefined;
      txs[i] = tx;
    }
    void this.speculate(p, txs);
    return undefined;
  }

  private async speculate(p: BlockPreview, txs: SignedTx[]): Promise<void> {
    const ex = this.deps.execution;
    await this.withEngine(async () => {
      if (!this.running || p.height !== ex.tip.header.number + 1n) return;
      for (const b of this.blocks.values()) if (b.height === p.height) return;
      const started = this.now();
      try {
        const { block } = await ex.prepareProposal({
          height: p.height,
          timestamp: p.timestamp,
          proposer: p.coinbase,
          candidates: listCandidates(txs),
        });
        this.previewedHash = bytesToHex(block.hash);
        this.previews?.inc({ outcome: "built" });
        this.log.debug(
          { height: Number(p.height), round: p.round, txs: block.txs.length, ms: this.now() - started, hash: this.previewedHash },
          "previewed block built",
        );
      } catch (e) {
        this.log.debug({ height: Number(p.height), err: (e as Error).message }, "previewed block not built");
      }
    });
  }

  private onEvidence(data: Uint8Array): Verdict | undefined {
    try {
      decodeEvidence(data);
    } catch {
      return Verdict.REJECT;
    }
    return this.deps.evidence.add(data) ? Verdict.ACCEPT : undefined;
  }
}

function toBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(bytesToHex(b));
}
