import { bytesToHex } from "@zerog/core";
import { type ConsensusInput, type ConsensusOutput, ConsensusStateMachine } from "../../src/consensus/stateMachine.js";
import { type ConsensusTimeouts, type DuplicateVoteEvidence, type Proposal, type Vote, VoteType } from "../../src/consensus/types.js";
import type { ValidatorSet } from "../../src/consensus/validatorSet.js";
import type { Prng } from "./prng.js";

/**
 * - `honest`: the state machine plus a driver with a double-sign guard.
 * - `silent`: never sends anything (crashed from the start).
 * - `equivocate`: sends each proposal and vote it makes to half its peers and a conflicting one to the rest.
 * - `invalid`: proposes invalid blocks and treats every block as valid (so votes for invalid ones).
 * - `random`: runs the machine without a guard and also sends random votes (any round, value, next height).
 * - `twins`: two honest instances with one key, each talking to its own side of the network
 *   (Twins, Bano et al.): equivocation that looks honest to everyone.
 * - `amnesia`: prevotes and precommits every proposal it sees, and proposes a fresh value every time
 *   (never its valid value): it supplies the extra vote any conflicting quorum needs.
 */
export type Behaviour = "honest" | "silent" | "equivocate" | "invalid" | "random" | "amnesia" | "twins";

/** `catchUp` marks a decided height's messages sent to a lagging peer (they never trigger catch-up themselves). */
export type NetMessage = ({ kind: "proposal"; proposal: Proposal } | { kind: "vote"; vote: Vote }) & { catchUp?: true };

/** Signing is not simulated: the state machine never looks at signatures. */
export const DUMMY_SIGNATURE = new Uint8Array(96);

/** A block hash that says what it is: height, round, proposer, a variant (equivocation) and an invalid flag. */
export function blockHash(height: bigint, round: number, proposer: number, variant = 0, invalid = false): Uint8Array {
  const h = new Uint8Array(32);
  const view = new DataView(h.buffer);
  view.setBigUint64(0, height);
  view.setUint32(8, round);
  view.setUint16(12, proposer);
  h[14] = variant;
  h[15] = invalid ? 1 : 0;
  return h;
}

export function isValidBlock(height: bigint, hash: Uint8Array): boolean {
  return hash.length === 32 && hash[15] === 0 && new DataView(hash.buffer, hash.byteOffset).getBigUint64(0) === height;
}

/** What a node's driver may use of the simulation: the clock, the network and the observers. */
export interface SimContext {
  readonly rng: Prng;
  readonly now: number;
  readonly size: number;
  readonly timeouts: ConsensusTimeouts;
  readonly gossipInterval: number;
  after(delay: number, run: () => void): void;
  send(from: number, to: number, msg: NetMessage): void;
  validity(height: bigint, hash: Uint8Array): boolean;
  onDecide(node: number, height: bigint, round: number, blockHash: Uint8Array): void;
  onEvidence(node: number, evidence: DuplicateVoteEvidence): void;
  onDoubleSignRefused(node: number, vote: Omit<Vote, "signature">): void;
}

const heightOf = (m: NetMessage): bigint => (m.kind === "vote" ? m.vote.height : m.proposal.height);
const proposalKey = (height: bigint, round: number, hash: Uint8Array): string => `${height}:${round}:${bytesToHex(hash)}`;
const signerOf = (m: NetMessage): number => (m.kind === "vote" ? m.vote.validatorIndex : m.proposal.validatorIndex);

/** One node: a state machine and a tiny driver (timers, block building and checking, gossip, catch-up). */
export class SimNode {
  private readonly machine: ConsensusStateMachine;
  private validators: ValidatorSet;
  private height = 0n;
  /**
   * Messages of the current height, own and received, re-sent to every peer with exponential
   * backoff: what the paper assumes of gossip (a message a correct node received reaches every
   * correct node soon after GST), without knowing GST.
   */
  private relay = new Map<string, { msg: NetMessage; next: number; every: number }>();
  /** Proposals seen at the current and next height (the machine buffers the next one), by height, round and hash. */
  private proposals = new Map<string, Proposal>();
  /** Decided heights: the proposal and +2/3 precommits, sent to peers still at that height. */
  private readonly commits = new Map<bigint, NetMessage[]>();
  private signed = new Map<string, string>();
  private readonly lastCatchup = new Map<number, number>();
  decided = 0;

  constructor(
    readonly index: number,
    readonly behaviour: Behaviour,
    private readonly ctx: SimContext,
    validators: ValidatorSet,
  ) {
    this.validators = validators;
    this.machine = new ConsensusStateMachine({ ownIndex: index, timeouts: ctx.timeouts });
  }

  get snapshot() {
    return this.machine.state();
  }

  start(): void {
    if (this.behaviour === "silent") return;
    this.enterHeight(1n, this.validators);
    this.ctx.after(this.ctx.rng.int(1, this.ctx.gossipInterval), () => this.gossip());
  }

  receive(from: number, msg: NetMessage): void {
    if (this.behaviour === "silent") return;
    const h = heightOf(msg);
    if (h < this.height) {
      // A peer's own message from an older height shows it is behind: send it that height's commit.
      if (msg.catchUp !== true && signerOf(msg) === from) this.catchUp(from, h);
      return;
    }
    if (h === this.height) this.remember(msg);
    if (msg.kind === "proposal") {
      const p = msg.proposal;
      if (h <= this.height + 1n && this.proposals.size < 128) this.proposals.set(proposalKey(p.height, p.round, p.blockHash), p);
      this.input({ kind: "proposal", proposal: p });
      if (this.behaviour === "amnesia" && h === this.height) this.endorse(p);
    } else {
      this.input({ kind: "vote", vote: msg.vote });
    }
  }

  private enterHeight(height: bigint, validators: ValidatorSet): void {
    this.height = height;
    this.validators = validators;
    this.relay = new Map();
    for (const [key, p] of this.proposals) if (p.height < height) this.proposals.delete(key);
    this.signed = new Map();
    this.input({ kind: "newHeight", height, validators });
  }

  private input(i: ConsensusInput): void {
    for (const o of this.machine.handle(i)) this.apply(o);
  }

  private apply(o: ConsensusOutput): void {
    const { ctx } = this;
    switch (o.kind) {
      case "getValue": {
        const hash = blockHash(o.height, o.round, this.index, 0, this.behaviour === "invalid");
        ctx.after(ctx.rng.int(1, 5), () => this.input({ kind: "ownValue", height: o.height, round: o.round, blockHash: hash }));
        break;
      }
      case "propose": {
        let proposal: Proposal = { ...o.proposal, timestamp: ctx.now, signature: DUMMY_SIGNATURE };
        if (this.behaviour === "amnesia")
          proposal = { ...proposal, polRound: -1, blockHash: blockHash(proposal.height, proposal.round, this.index, 5) };
        this.publish({ kind: "proposal", proposal });
        break;
      }
      case "vote": {
        const key = `${o.vote.height}:${o.vote.round}:${o.vote.type}`;
        const value = o.vote.blockHash === null ? "nil" : bytesToHex(o.vote.blockHash);
        const previous = this.signed.get(key);
        if (previous !== undefined && previous !== value) {
          ctx.onDoubleSignRefused(this.index, o.vote);
          if (this.behaviour === "honest" || this.behaviour === "twins") break;
        }
        this.signed.set(key, value);
        this.publish({ kind: "vote", vote: { ...o.vote, signature: DUMMY_SIGNATURE } });
        break;
      }
      case "scheduleTimeout":
        ctx.after(o.ms, () => this.input({ kind: "timeout", step: o.step, height: o.height, round: o.round }));
        break;
      case "validate": {
        const valid = this.behaviour === "invalid" || ctx.validity(o.height, o.blockHash);
        ctx.after(ctx.rng.int(0, 3), () =>
          this.input({ kind: "blockValidity", height: o.height, round: o.round, blockHash: o.blockHash, valid }),
        );
        break;
      }
      case "decide": {
        ctx.onDecide(this.index, o.height, o.round, o.blockHash);
        this.decided++;
        const proposal = this.proposals.get(proposalKey(o.height, o.round, o.blockHash));
        const commit: NetMessage[] = o.precommits.map((vote) => ({ kind: "vote", vote, catchUp: true }));
        if (proposal !== undefined) commit.unshift({ kind: "proposal", proposal, catchUp: true });
        this.commits.set(o.height, commit);
        const next = this.validators.nextHeight();
        ctx.after(ctx.timeouts.commit, () => this.enterHeight(o.height + 1n, next));
        break;
      }
      case "evidence":
        ctx.onEvidence(this.index, o.evidence);
        break;
      case "misbehavior":
        break;
    }
  }

  /** Sends to every peer (an equivocator splits them between two versions) and feeds the message back. */
  private publish(msg: NetMessage): void {
    const { ctx } = this;
    const peers = ctx.rng.shuffle(Array.from({ length: ctx.size }, (_, i) => i).filter((i) => i !== this.index));
    const alt = this.behaviour === "equivocate" ? this.conflicting(msg) : null;
    peers.forEach((peer, k) => {
      ctx.send(this.index, peer, alt !== null && k % 2 === 1 ? alt : msg);
    });
    ctx.after(0, () => this.receive(this.index, msg));
  }

  private conflicting(msg: NetMessage): NetMessage {
    if (msg.kind === "proposal") {
      const p = msg.proposal;
      return { kind: "proposal", proposal: { ...p, polRound: -1, blockHash: blockHash(p.height, p.round, this.index, 1) } };
    }
    const v = msg.vote;
    if (v.blockHash !== null) return { kind: "vote", vote: { ...v, blockHash: null } };
    const seen = [...this.proposals.values()].find((p) => p.height === v.height && p.round === v.round);
    return { kind: "vote", vote: { ...v, blockHash: seen?.blockHash ?? blockHash(v.height, v.round, this.index, 2) } };
  }

  /** An amnesia node votes for every proposal it sees, in both steps. */
  private endorse(p: Proposal): void {
    const key = `endorse:${p.round}:${bytesToHex(p.blockHash)}`;
    if (this.signed.has(key)) return;
    this.signed.set(key, "");
    for (const type of [VoteType.Prevote, VoteType.Precommit]) {
      const vote: Vote = {
        type,
        height: p.height,
        round: p.round,
        blockHash: p.blockHash,
        validatorIndex: this.index,
        signature: DUMMY_SIGNATURE,
      };
      for (let peer = 0; peer < this.ctx.size; peer++) if (peer !== this.index) this.ctx.send(this.index, peer, { kind: "vote", vote });
    }
  }

  private remember(msg: NetMessage): void {
    const m = msg.kind === "vote" ? msg.vote : msg.proposal;
    const key = `${msg.kind}:${msg.kind === "vote" ? msg.vote.type : 0}:${m.round}:${m.validatorIndex}:${bytesToHex(m.blockHash ?? new Uint8Array(0))}`;
    if (this.relay.has(key) || this.relay.size >= 4096) return;
    const every = this.ctx.gossipInterval;
    this.relay.set(key, { msg, next: this.ctx.now + every, every });
  }

  /** Periodic gossip: re-send what is due; a `random` node also makes noise. */
  private gossip(): void {
    const { ctx } = this;
    for (const entry of this.relay.values()) {
      if (entry.next > ctx.now) continue;
      for (let peer = 0; peer < ctx.size; peer++) if (peer !== this.index) ctx.send(this.index, peer, entry.msg);
      entry.every *= 2;
      entry.next = ctx.now + entry.every;
    }
    if (this.behaviour === "random") this.noise(this.machine.state().round);
    ctx.after(ctx.gossipInterval, () => this.gossip());
  }

  private noise(round: number): void {
    const { rng } = this.ctx;
    for (let k = rng.int(1, 4); k > 0; k--) {
      const height = rng.chance(0.2) ? this.height + 1n : this.height;
      const r = rng.chance(0.1) ? rng.int(round + 5, round + 1000) : Math.max(0, round + rng.int(-2, 2));
      const known = [...this.proposals.values()].filter((p) => p.height === height).map((p) => p.blockHash);
      const hash = rng.pick<Uint8Array | null>([
        null,
        blockHash(height, r, this.index, 3),
        blockHash(height, r, this.index, 4, true),
        ...known,
      ]);
      const vote: Vote = {
        type: rng.chance(0.5) ? VoteType.Prevote : VoteType.Precommit,
        height,
        round: r,
        blockHash: hash,
        validatorIndex: this.index,
        signature: DUMMY_SIGNATURE,
      };
      const peer = (this.index + rng.int(1, this.ctx.size - 1)) % this.ctx.size;
      this.ctx.send(this.index, peer, { kind: "vote", vote });
    }
  }

  private catchUp(peer: number, height: bigint): void {
    const commit = this.commits.get(height);
    if (commit === undefined || peer === this.index) return;
    const last = this.lastCatchup.get(peer);
    if (last !== undefined && this.ctx.now - last < this.ctx.gossipInterval) return;
    this.lastCatchup.set(peer, this.ctx.now);
    for (const m of commit) this.ctx.send(this.index, peer, m);
  }
}
