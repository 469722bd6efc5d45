import { bytesToHex } from "@zerog/core";
import { type ConsensusTimeouts, type DuplicateVoteEvidence, type Proposal, Step, type Vote, VoteType } from "./types.js";
import type { ValidatorSet } from "./validatorSet.js";

/**
 * The Tendermint algorithm ("The latest gossip on BFT consensus", upon-rules L22–L55) for one node
 * and one height at a time, as a pure function of its inputs: no clock, no I/O, no crypto. The
 * driver verifies signatures, signs what the machine asks to send (feeding signed votes and
 * proposals back in as inputs, like any peer's), runs timers and checks blocks.
 */

export type UnsignedVote = Omit<Vote, "signature">;
export type UnsignedProposal = Omit<Proposal, "signature" | "timestamp">;

export type ConsensusInput =
  /** Start `height` at round 0. `ownIndex`, when given, replaces the node's index for this height's set. */
  | { kind: "newHeight"; height: bigint; validators: ValidatorSet; ownIndex?: number | null }
  | { kind: "proposal"; proposal: Proposal }
  /** The driver holds the block `blockHash` and checked it (`processProposal`). */
  | { kind: "blockValidity"; height: bigint; round: number; blockHash: Uint8Array; valid: boolean }
  | { kind: "vote"; vote: Vote }
  | { kind: "timeout"; step: Step; height: bigint; round: number }
  /** The block built in answer to `getValue`; the machine trusts its own value to be valid. */
  | { kind: "ownValue"; height: bigint; round: number; blockHash: Uint8Array };

export type MisbehaviorReason = "notProposer" | "invalidPolRound" | "conflictingProposal" | "malformed";

export type ConsensusOutput =
  | { kind: "getValue"; height: bigint; round: number }
  | { kind: "propose"; proposal: UnsignedProposal }
  | { kind: "vote"; vote: UnsignedVote }
  | { kind: "scheduleTimeout"; step: Step; height: bigint; round: number; ms: number }
  | { kind: "validate"; height: bigint; round: number; blockHash: Uint8Array }
  | { kind: "decide"; height: bigint; round: number; blockHash: Uint8Array; precommits: Vote[] }
  | { kind: "evidence"; evidence: DuplicateVoteEvidence }
  | { kind: "misbehavior"; reason: MisbehaviorReason; validatorIndex: number; height: bigint; round: number };

export interface ConsensusStateMachineOptions {
  /** This node's index in the validator set, or null for an observer that never proposes or votes. */
  ownIndex: number | null;
  timeouts: ConsensusTimeouts;
}

/** A plain snapshot for logs and tests. */
export interface ConsensusSnapshot {
  height: bigint;
  round: number;
  step: Step;
  lockedRound: number;
  lockedBlockHash: Uint8Array | null;
  validRound: number;
  validBlockHash: Uint8Array | null;
  decision: { round: number; blockHash: Uint8Array } | null;
}

/** Rounds above the current one whose messages are kept in full; beyond, one round per validator. */
export const ROUND_WINDOW = 4;
/** Messages buffered per validator index for the next height. */
export const NEXT_HEIGHT_BUFFER_PER_VALIDATOR = 8;
/** Distinct proposals kept per round (an equivocating proposer cannot fill memory). */
const MAX_PROPOSALS_PER_ROUND = 4;
/**
 * An equivocator's extra votes are counted for nil and for values with a known proposal at this
 * height (bounded by the proposals kept); for other values, only this many, the rest are dropped.
 */
const MAX_UNPROPOSED_CONFLICTS = 2;
/** CometBFT's MaxVotesCount: no set is larger, so no buffered index is either. */
const MAX_VALIDATORS = 10_000;
const MAX_ROUND = 2 ** 31 - 1;
const NIL = "nil";

type Message = { kind: "vote"; vote: Vote } | { kind: "proposal"; proposal: Proposal };

/**
 * The votes of one (round, type). Like the paper's message log, a value's tally counts every
 * validator that voted for it, so an equivocator counts once for each value it signed; with less
 * than a third of the power equivocating, two values still cannot both reach +2/3. This is what
 * lets a node that first saw an equivocator's other vote still count a commit that includes it.
 * The any-value tally counts each validator once.
 */
class VoteTally {
  /** First vote of each validator. */
  readonly first: (Vote | undefined)[];
  /** Further votes for other values, by validator (the equivocations). */
  readonly conflicting = new Map<number, Vote[]>();
  readonly power = new Map<string, bigint>();
  anyPower = 0n;
  /** The value (block hash hex or NIL) that holds +2/3, once one does. */
  quorum: string | null = null;

  constructor(size: number) {
    this.first = new Array<Vote | undefined>(size);
  }

  powerOf(key: string): bigint {
    return this.power.get(key) ?? 0n;
  }

  /** Every counted vote for `key`. */
  votesFor(key: string): Vote[] {
    const out: Vote[] = [];
    for (const [i, v] of this.first.entries()) {
      if (v === undefined) continue;
      if (valueKey(v.blockHash) === key) out.push(v);
      else for (const c of this.conflicting.get(i) ?? []) if (valueKey(c.blockHash) === key) out.push(c);
    }
    return out;
  }
}

interface RoundState {
  prevotes: VoteTally;
  precommits: VoteTally;
  /** Proposals from this round's proposer, by block hash, in arrival order. */
  proposals: Map<string, Proposal>;
  prevoteWaitScheduled: boolean;
  precommitWaitScheduled: boolean;
  validUpdated: boolean;
  conflictReported: boolean;
}

function valueKey(hash: Uint8Array | null): string {
  return hash === null ? NIL : bytesToHex(hash);
}

function isRound(r: number): boolean {
  return Number.isInteger(r) && r >= 0 && r <= MAX_ROUND;
}

export class ConsensusStateMachine {
  private readonly timeouts: ConsensusTimeouts;
  private configuredIndex: number | null;
  private me: number | null = null;
  private validators: ValidatorSet | null = null;
  private height = 0n;
  private round = 0;
  private step: Step = Step.Propose;
  private lockedRound = -1;
  private lockedValue: string | null = null;
  private lockedHash: Uint8Array | null = null;
  private validRound = -1;
  private validHash: Uint8Array | null = null;
  private decision: { round: number; blockHash: Uint8Array } | null = null;
  private awaitingValue = false;
  private rounds = new Map<number, RoundState>();
  /** Rounds with +2/3 precommits for a block (candidates for L49). */
  private commitRounds = new Set<number>();
  /** Values with a proposal at this height. */
  private proposed = new Set<string>();
  private validity = new Map<string, boolean>();
  private requested = new Set<string>();
  /** Highest round each validator sent anything for at this height (round skip, L55). */
  private maxRoundOf: number[] = [];
  private highestRound = -1;
  /** Per validator, its messages at its highest round beyond the window. */
  private far = new Map<number, { round: number; messages: Message[] }>();
  private nextBuffer = new Map<number, Message[]>();
  private out: ConsensusOutput[] = [];

  constructor(options: ConsensusStateMachineOptions) {
    this.timeouts = options.timeouts;
    this.configuredIndex = options.ownIndex;
  }

  state(): ConsensusSnapshot {
    return {
      height: this.height,
      round: this.round,
      step: this.step,
      lockedRound: this.lockedRound,
      lockedBlockHash: this.lockedHash,
      validRound: this.validRound,
      validBlockHash: this.validHash,
      decision: this.decision,
    };
  }

  handle(input: ConsensusInput): ConsensusOutput[] {
    this.out = [];
    switch (input.kind) {
      case "newHeight":
        this.onNewHeight(input.height, input.validators, input.ownIndex);
        break;
      case "proposal":
        this.onMessage({ kind: "proposal", proposal: input.proposal });
        break;
      case "vote":
        this.onMessage({ kind: "vote", vote: input.vote });
        break;
      case "blockValidity":
        this.onValidity(input.height, input.blockHash, input.valid);
        break;
      case "timeout":
        this.onTimeout(input.step, input.height, input.round);
        break;
      case "ownValue":
        this.onOwnValue(input.height, input.round, input.blockHash);
        break;
    }
    if (this.validators !== null && this.decision === null) this.runRules();
    return this.out;
  }

  private onNewHeight(height: bigint, validators: ValidatorSet, ownIndex: number | null | undefined): void {
    if (this.validators !== null && height <= this.height) return;
    const buffered = height === this.height + 1n ? this.nextBuffer : new Map<number, Message[]>();
    if (ownIndex !== undefined) this.configuredIndex = ownIndex;
    const me = this.configuredIndex;
    this.me = me !== null && me >= 0 && me < validators.size ? me : null;
    this.validators = validators;
    this.height = height;
    this.lockedRound = -1;
    this.lockedValue = null;
    this.lockedHash = null;
    this.validRound = -1;
    this.validHash = null;
    this.decision = null;
    this.rounds = new Map();
    this.commitRounds = new Set();
    this.proposed = new Set();
    this.validity = new Map();
    this.requested = new Set();
    this.maxRoundOf = new Array<number>(validators.size).fill(-1);
    this.highestRound = -1;
    this.far = new Map();
    this.nextBuffer = new Map();
    this.startRound(0);
    for (const messages of buffered.values()) for (const m of messages) this.onMessage(m);
  }

  private startRound(round: number): void {
    const vs = this.validators!;
    this.round = round;
    this.step = Step.Propose;
    this.awaitingValue = false;
    if (this.me !== null && vs.proposerIndex(round) === this.me) {
      if (this.validHash !== null) {
        this.emitProposal(this.validRound, this.validHash);
      } else {
        this.awaitingValue = true;
        this.out.push({ kind: "getValue", height: this.height, round });
      }
    }
    this.schedule(Step.Propose, this.timeouts.propose + round * this.timeouts.proposeDelta);
    this.replayFar();
  }

  private onMessage(m: Message): void {
    const { height, round, validatorIndex } = m.kind === "vote" ? m.vote : m.proposal;
    if (height === this.height + 1n) {
      this.bufferNext(validatorIndex, m);
      return;
    }
    if (this.validators === null || height !== this.height) return;
    if (!Number.isInteger(validatorIndex) || validatorIndex < 0 || validatorIndex >= this.validators.size) return;
    if (!isRound(round)) {
      this.misbehavior("malformed", validatorIndex, 0);
      return;
    }
    if (round > this.maxRoundOf[validatorIndex]!) {
      this.maxRoundOf[validatorIndex] = round;
      if (round > this.highestRound) this.highestRound = round;
    }
    if (round > this.round + ROUND_WINDOW) {
      this.keepFar(validatorIndex, round, m);
      return;
    }
    if (m.kind === "vote") this.addVote(m.vote);
    else this.addProposal(m.proposal);
  }

  private addProposal(p: Proposal): void {
    if (this.validators!.proposerIndex(p.round) !== p.validatorIndex) {
      this.misbehavior("notProposer", p.validatorIndex, p.round);
      return;
    }
    if (!Number.isInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) {
      this.misbehavior("invalidPolRound", p.validatorIndex, p.round);
      return;
    }
    const rs = this.roundState(p.round);
    const key = valueKey(p.blockHash);
    if (rs.proposals.has(key)) return;
    if (rs.proposals.size > 0) {
      if (!rs.conflictReported) {
        rs.conflictReported = true;
        this.misbehavior("conflictingProposal", p.validatorIndex, p.round);
      }
      if (rs.proposals.size >= MAX_PROPOSALS_PER_ROUND) return;
    }
    rs.proposals.set(key, p);
    this.proposed.add(key);
    if (!this.validity.has(key) && !this.requested.has(key)) {
      this.requested.add(key);
      this.out.push({ kind: "validate", height: this.height, round: p.round, blockHash: p.blockHash });
    }
  }

  private addVote(v: Vote): void {
    if (v.type !== VoteType.Prevote && v.type !== VoteType.Precommit) {
      this.misbehavior("malformed", v.validatorIndex, v.round);
      return;
    }
    const vs = this.validators!;
    const rs = this.roundState(v.round);
    const tally = v.type === VoteType.Prevote ? rs.prevotes : rs.precommits;
    const key = valueKey(v.blockHash);
    const index = v.validatorIndex;
    const power = vs.powerOf(index);
    const first = tally.first[index];
    if (first === undefined) {
      tally.first[index] = v;
      tally.anyPower += power;
    } else {
      if (valueKey(first.blockHash) === key) return;
      let others = tally.conflicting.get(index);
      if (others === undefined) {
        // Evidence once per validator, round and type: the first two values it signed.
        others = [];
        tally.conflicting.set(index, others);
        const validator = vs.validators[index]!;
        this.out.push({
          kind: "evidence",
          evidence: { voteA: first, voteB: v, validator: validator.address, validatorPower: validator.power, totalPower: vs.totalPower },
        });
      }
      if (others.some((o) => valueKey(o.blockHash) === key)) return;
      if (key !== NIL && !this.proposed.has(key) && others.length >= MAX_UNPROPOSED_CONFLICTS) return;
      others.push(v);
    }
    const valuePower = tally.powerOf(key) + power;
    tally.power.set(key, valuePower);
    if (tally.quorum === null && vs.hasTwoThirds(valuePower)) {
      tally.quorum = key;
      if (v.type === VoteType.Precommit && key !== NIL) this.commitRounds.add(v.round);
    }
  }

  private keepFar(index: number, round: number, m: Message): void {
    const entry = this.far.get(index);
    if (entry === undefined || round > entry.round) this.far.set(index, { round, messages: [m] });
    else if (round === entry.round && entry.messages.length < 3) entry.messages.push(m);
  }

  private replayFar(): void {
    for (const [index, entry] of this.far) {
      if (entry.round > this.round + ROUND_WINDOW) continue;
      this.far.delete(index);
      for (const m of entry.messages) this.onMessage(m);
    }
  }

  private bufferNext(index: number, m: Message): void {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_VALIDATORS) return;
    let list = this.nextBuffer.get(index);
    if (list === undefined) {
      list = [];
      this.nextBuffer.set(index, list);
    }
    if (list.length >= NEXT_HEIGHT_BUFFER_PER_VALIDATOR || list.some((b) => sameMessage(b, m))) return;
    list.push(m);
  }

  private onValidity(height: bigint, blockHash: Uint8Array, valid: boolean): void {
    if (this.validators === null || height !== this.height) return;
    const key = valueKey(blockHash);
    if (this.requested.has(key) && !this.validity.has(key)) this.validity.set(key, valid);
  }

  private onTimeout(step: Step, height: bigint, round: number): void {
    if (this.validators === null || this.decision !== null || height !== this.height || round !== this.round) return;
    if (step === Step.Propose && this.step === Step.Propose) this.sendVote(VoteType.Prevote, null);
    else if (step === Step.Prevote && this.step === Step.Prevote) this.sendVote(VoteType.Precommit, null);
    else if (step === Step.Precommit) this.startRound(round + 1);
  }

  private onOwnValue(height: bigint, round: number, blockHash: Uint8Array): void {
    if (this.decision !== null || height !== this.height || round !== this.round || !this.awaitingValue) return;
    this.awaitingValue = false;
    const key = valueKey(blockHash);
    this.requested.add(key);
    if (!this.validity.has(key)) this.validity.set(key, true);
    this.emitProposal(-1, blockHash);
  }

  /** Fires enabled upon-rules until none is: each rule is guarded so it runs at most once per trigger. */
  private runRules(): void {
    for (;;) {
      if (this.decision !== null || this.tryDecide()) return;
      if (this.tryRoundSkip()) continue;
      const fired = this.tryPrevote() || this.tryPrevoteWait() || this.tryLock() || this.tryPrecommitNil() || this.tryPrecommitWait();
      if (!fired) return;
    }
  }

  /** L49: a proposal for v and +2/3 precommits for v in any round, v valid. */
  private tryDecide(): boolean {
    for (const r of this.commitRounds) {
      const rs = this.rounds.get(r)!;
      const key = rs.precommits.quorum!;
      const proposal = rs.proposals.get(key);
      if (proposal === undefined || this.validity.get(key) !== true) continue;
      const precommits = rs.precommits.votesFor(key);
      this.decision = { round: r, blockHash: proposal.blockHash };
      this.out.push({ kind: "decide", height: this.height, round: r, blockHash: proposal.blockHash, precommits });
      return true;
    }
    return false;
  }

  /** L55: f+1 power has sent messages for rounds above ours; go to the highest round they vouch for. */
  private tryRoundSkip(): boolean {
    if (this.highestRound <= this.round) return false;
    const vs = this.validators!;
    const ahead: number[] = [];
    for (let i = 0; i < this.maxRoundOf.length; i++) if (this.maxRoundOf[i]! > this.round) ahead.push(i);
    ahead.sort((a, b) => this.maxRoundOf[b]! - this.maxRoundOf[a]!);
    let power = 0n;
    for (const i of ahead) {
      power += vs.powerOf(i);
      if (vs.hasOneThird(power)) {
        this.startRound(this.maxRoundOf[i]!);
        return true;
      }
    }
    return false;
  }

  /** L22 and L28: prevote on the round's proposal. */
  private tryPrevote(): boolean {
    if (this.step !== Step.Propose) return false;
    const rs = this.rounds.get(this.round);
    if (rs === undefined) return false;
    for (const [key, p] of rs.proposals) {
      let allowed: boolean;
      if (p.polRound === -1) {
        allowed = this.lockedRound === -1 || this.lockedValue === key;
      } else {
        const pol = this.rounds.get(p.polRound)?.prevotes;
        if (pol === undefined || !this.validators!.hasTwoThirds(pol.powerOf(key))) continue;
        allowed = this.lockedRound <= p.polRound || this.lockedValue === key;
      }
      const valid = this.validity.get(key);
      if (allowed && valid === undefined) continue;
      this.sendVote(VoteType.Prevote, allowed && valid === true ? p.blockHash : null);
      return true;
    }
    return false;
  }

  /** L34: +2/3 prevotes for anything in this round while prevoting. */
  private tryPrevoteWait(): boolean {
    const rs = this.rounds.get(this.round);
    if (this.step !== Step.Prevote || rs === undefined || rs.prevoteWaitScheduled) return false;
    if (!this.validators!.hasTwoThirds(rs.prevotes.anyPower)) return false;
    rs.prevoteWaitScheduled = true;
    this.schedule(Step.Prevote, this.timeouts.prevote + this.round * this.timeouts.prevoteDelta);
    return true;
  }

  /** L36: a proposal for v and +2/3 prevotes for v in this round: lock (if prevoting) and record the valid value. */
  private tryLock(): boolean {
    const rs = this.rounds.get(this.round);
    if (this.step === Step.Propose || rs === undefined || rs.validUpdated) return false;
    const key = rs.prevotes.quorum;
    if (key === null || key === NIL) return false;
    const proposal = rs.proposals.get(key);
    if (proposal === undefined || this.validity.get(key) !== true) return false;
    rs.validUpdated = true;
    if (this.step === Step.Prevote) {
      this.lockedRound = this.round;
      this.lockedValue = key;
      this.lockedHash = proposal.blockHash;
      this.sendVote(VoteType.Precommit, proposal.blockHash);
    }
    this.validRound = this.round;
    this.validHash = proposal.blockHash;
    return true;
  }

  /** L44: +2/3 prevotes for nil while prevoting. */
  private tryPrecommitNil(): boolean {
    if (this.step !== Step.Prevote || this.rounds.get(this.round)?.prevotes.quorum !== NIL) return false;
    this.sendVote(VoteType.Precommit, null);
    return true;
  }

  /** L47: +2/3 precommits for anything in this round. */
  private tryPrecommitWait(): boolean {
    const rs = this.rounds.get(this.round);
    if (rs === undefined || rs.precommitWaitScheduled || !this.validators!.hasTwoThirds(rs.precommits.anyPower)) return false;
    rs.precommitWaitScheduled = true;
    this.schedule(Step.Precommit, this.timeouts.precommit + this.round * this.timeouts.precommitDelta);
    return true;
  }

  /** Moves to the step after the vote and asks the driver to sign and send it (validators only). */
  private sendVote(type: VoteType, blockHash: Uint8Array | null): void {
    this.step = type === VoteType.Prevote ? Step.Prevote : Step.Precommit;
    if (this.me === null) return;
    this.out.push({ kind: "vote", vote: { type, height: this.height, round: this.round, blockHash, validatorIndex: this.me } });
  }

  private emitProposal(polRound: number, blockHash: Uint8Array): void {
    this.out.push({
      kind: "propose",
      proposal: { height: this.height, round: this.round, polRound, blockHash, validatorIndex: this.me! },
    });
  }

  private schedule(step: Step, ms: number): void {
    this.out.push({ kind: "scheduleTimeout", step, height: this.height, round: this.round, ms });
  }

  private misbehavior(reason: MisbehaviorReason, validatorIndex: number, round: number): void {
    this.out.push({ kind: "misbehavior", reason, validatorIndex, height: this.height, round });
  }

  private roundState(round: number): RoundState {
    let rs = this.rounds.get(round);
    if (rs === undefined) {
      const n = this.validators!.size;
      rs = {
        prevotes: new VoteTally(n),
        precommits: new VoteTally(n),
        proposals: new Map(),
        prevoteWaitScheduled: false,
        precommitWaitScheduled: false,
        validUpdated: false,
        conflictReported: false,
      };
      this.rounds.set(round, rs);
    }
    return rs;
  }
}

function sameMessage(a: Message, b: Message): boolean {
  if (a.kind === "vote" && b.kind === "vote") {
    return a.vote.type === b.vote.type && a.vote.round === b.vote.round && valueKey(a.vote.blockHash) === valueKey(b.vote.blockHash);
  }
  if (a.kind === "proposal" && b.kind === "proposal") {
    return a.proposal.round === b.proposal.round && valueKey(a.proposal.blockHash) === valueKey(b.proposal.blockHash);
  }
  return false;
}
