import { describe, expect, it } from "vitest";
import { type ConsensusOutput, ConsensusStateMachine } from "../../src/consensus/stateMachine.js";
import { type ConsensusTimeouts, type Proposal, Step, type Vote, VoteType } from "../../src/consensus/types.js";
import { ValidatorSet } from "../../src/consensus/validatorSet.js";

const TIMEOUTS: ConsensusTimeouts = {
  propose: 1000,
  proposeDelta: 500,
  prevote: 200,
  prevoteDelta: 100,
  precommit: 300,
  precommitDelta: 100,
  commit: 0,
};
const SIG = new Uint8Array(96);
const addr = (i: number) => new Uint8Array(20).fill(i + 1);
/** Four validators of power 1, sorted by address: the proposer of (height h, round r) is (h - 1 + r) mod 4. */
const VS = ValidatorSet.fromValidators([0, 1, 2, 3].map((i) => ({ address: addr(i), publicKey: new Uint8Array(48), power: 1n })));
const A = new Uint8Array(32).fill(0xaa);
const B = new Uint8Array(32).fill(0xbb);
const C = new Uint8Array(32).fill(0xcc);
const { Prevote, Precommit } = VoteType;

const vote = (type: VoteType, round: number, blockHash: Uint8Array | null, validatorIndex: number, height = 1n): Vote => ({
  type,
  height,
  round,
  blockHash,
  validatorIndex,
  signature: SIG,
});
const proposal = (round: number, blockHash: Uint8Array, polRound = -1, height = 1n): Proposal => ({
  height,
  round,
  polRound,
  blockHash,
  timestamp: 0,
  validatorIndex: Number((height - 1n + BigInt(round)) % 4n),
  signature: SIG,
});

/** A machine for validator `own` (or an observer) that has started height 1, with helpers. */
function node(own: number | null = 1) {
  const m = new ConsensusStateMachine({ ownIndex: own, timeouts: TIMEOUTS });
  const first = m.handle({ kind: "newHeight", height: 1n, validators: VS });
  const h = {
    m,
    first,
    vote: (type: VoteType, round: number, hash: Uint8Array | null, ...from: number[]) =>
      from.flatMap((i) => m.handle({ kind: "vote", vote: vote(type, round, hash, i) })),
    propose: (round: number, hash: Uint8Array, valid = true, polRound = -1) => [
      ...m.handle({ kind: "proposal", proposal: proposal(round, hash, polRound) }),
      ...m.handle({ kind: "blockValidity", height: 1n, round, blockHash: hash, valid }),
    ],
    timeout: (step: Step, round: number, height = 1n) => m.handle({ kind: "timeout", step, height, round }),
  };
  return h;
}

const of = <K extends ConsensusOutput["kind"]>(out: ConsensusOutput[], kind: K) =>
  out.filter((o): o is Extract<ConsensusOutput, { kind: K }> => o.kind === kind);
const votes = (out: ConsensusOutput[]) => of(out, "vote").map((o) => [o.vote.type, o.vote.round, o.vote.blockHash]);

describe("ConsensusStateMachine: rounds and timeouts", () => {
  it("StartRound: the proposer asks for a value, everyone schedules timeoutPropose", () => {
    const proposer = node(0);
    expect(of(proposer.first, "getValue")).toEqual([{ kind: "getValue", height: 1n, round: 0 }]);
    expect(of(proposer.first, "scheduleTimeout")).toEqual([
      { kind: "scheduleTimeout", step: Step.Propose, height: 1n, round: 0, ms: 1000 },
    ]);
    const out = proposer.m.handle({ kind: "ownValue", height: 1n, round: 0, blockHash: A });
    expect(of(out, "propose")).toEqual([
      { kind: "propose", proposal: { height: 1n, round: 0, polRound: -1, blockHash: A, validatorIndex: 0 } },
    ]);
    // Its own value needs no validation round trip: the signed proposal coming back is prevoted at once.
    const back = proposer.m.handle({ kind: "proposal", proposal: proposal(0, A) });
    expect(of(back, "validate")).toEqual([]);
    expect(votes(back)).toEqual([[Prevote, 0, A]]);

    const other = node(1);
    expect(of(other.first, "getValue")).toEqual([]);
    expect(of(other.first, "scheduleTimeout")).toHaveLength(1);
  });

  it("OnTimeoutPropose prevotes nil; stale timeouts are ignored", () => {
    const n = node();
    expect(n.timeout(Step.Propose, 1)).toEqual([]);
    expect(n.timeout(Step.Propose, 0, 2n)).toEqual([]);
    expect(n.timeout(Step.Prevote, 0)).toEqual([]);
    expect(votes(n.timeout(Step.Propose, 0))).toEqual([[Prevote, 0, null]]);
    expect(n.timeout(Step.Propose, 0)).toEqual([]);
    expect(n.m.state().step).toBe(Step.Prevote);
  });

  it("L34/L44/L47 and timeouts that grow with the round", () => {
    const n = node();
    n.timeout(Step.Propose, 0);
    expect(n.vote(Prevote, 0, null, 0, 2)).toEqual([]);
    const out = n.vote(Prevote, 0, null, 1);
    expect(of(out, "scheduleTimeout")).toEqual([{ kind: "scheduleTimeout", step: Step.Prevote, height: 1n, round: 0, ms: 200 }]);
    expect(votes(out)).toEqual([[Precommit, 0, null]]);
    expect(n.vote(Precommit, 0, null, 0, 1)).toEqual([]);
    expect(of(n.vote(Precommit, 0, null, 2), "scheduleTimeout")).toEqual([
      { kind: "scheduleTimeout", step: Step.Precommit, height: 1n, round: 0, ms: 300 },
    ]);
    // OnTimeoutPrecommit: round 1, where validator 1 proposes.
    const r1 = n.timeout(Step.Precommit, 0);
    expect(n.m.state().round).toBe(1);
    expect(of(r1, "getValue")).toEqual([{ kind: "getValue", height: 1n, round: 1 }]);
    expect(of(r1, "scheduleTimeout")).toEqual([{ kind: "scheduleTimeout", step: Step.Propose, height: 1n, round: 1, ms: 1500 }]);
    n.timeout(Step.Propose, 1);
    expect(of(n.vote(Prevote, 1, null, 0, 2, 3), "scheduleTimeout")[0]?.ms).toBe(300);
    expect(votes(n.timeout(Step.Prevote, 1))).toEqual([]);
  });

  it("OnTimeoutPrevote precommits nil", () => {
    const n = node();
    n.timeout(Step.Propose, 0);
    n.vote(Prevote, 0, A, 0);
    n.vote(Prevote, 0, B, 2, 3);
    expect(votes(n.timeout(Step.Prevote, 0))).toEqual([[Precommit, 0, null]]);
    expect(n.m.state().step).toBe(Step.Precommit);
  });

  it("L55: skips to the highest round that f+1 power has reached, including far rounds", () => {
    const n = node();
    expect(n.vote(Prevote, 3, null, 2)).toEqual([]);
    const out = n.vote(Prevote, 2, null, 3);
    expect(n.m.state().round).toBe(2);
    expect(of(out, "scheduleTimeout")).toEqual([{ kind: "scheduleTimeout", step: Step.Propose, height: 1n, round: 2, ms: 2000 }]);
    // Rounds far beyond the window are kept per validator and replayed after the skip.
    n.vote(Precommit, 100, null, 0);
    n.vote(Precommit, 100, null, 2);
    expect(n.m.state().round).toBe(100);
    expect(of(n.vote(Precommit, 100, null, 3), "scheduleTimeout")).toEqual([
      { kind: "scheduleTimeout", step: Step.Precommit, height: 1n, round: 100, ms: 300 + 100 * 100 },
    ]);
  });
});

describe("ConsensusStateMachine: proposals and validity", () => {
  it("L22: prevotes a proposal once its validity is known, nil when invalid", () => {
    const n = node();
    const got = n.m.handle({ kind: "proposal", proposal: proposal(0, A) });
    expect(got).toEqual([{ kind: "validate", height: 1n, round: 0, blockHash: A }]);
    expect(votes(n.m.handle({ kind: "blockValidity", height: 1n, round: 0, blockHash: A, valid: true }))).toEqual([[Prevote, 0, A]]);

    const bad = node();
    expect(votes(bad.propose(0, B, false))).toEqual([[Prevote, 0, null]]);
  });

  it("ignores, and reports, proposals from the wrong proposer or with a bad polRound", () => {
    const n = node();
    const wrong = n.m.handle({ kind: "proposal", proposal: { ...proposal(0, A), validatorIndex: 2 } });
    expect(wrong).toEqual([{ kind: "misbehavior", reason: "notProposer", validatorIndex: 2, height: 1n, round: 0 }]);
    const pol = n.m.handle({ kind: "proposal", proposal: proposal(0, A, 0) });
    expect(of(pol, "misbehavior")[0]?.reason).toBe("invalidPolRound");
    expect(n.m.handle({ kind: "blockValidity", height: 1n, round: 0, blockHash: A, valid: true })).toEqual([]);
  });

  it("reports an equivocating proposer once and keeps both values", () => {
    const n = node(null);
    n.propose(0, A);
    const out = [...n.propose(0, B), ...n.propose(0, C)];
    expect(of(out, "misbehavior").map((o) => o.reason)).toEqual(["conflictingProposal"]);
    expect(of(out, "validate").map((o) => o.blockHash)).toEqual([B, C]);
    n.vote(Precommit, 0, B, 0, 2, 3);
    expect(n.m.state().decision?.blockHash).toEqual(B);
  });
});

describe("ConsensusStateMachine: locking and valid values", () => {
  it("L36: locks on +2/3 prevotes for the proposal and precommits it", () => {
    const n = node();
    n.propose(0, A);
    const out = n.vote(Prevote, 0, A, 0, 2, 3);
    expect(votes(out)).toEqual([[Precommit, 0, A]]);
    expect(n.m.state()).toMatchObject({ step: Step.Precommit, lockedRound: 0, lockedBlockHash: A, validRound: 0, validBlockHash: A });
  });

  it("L36 after precommitting nil only records the valid value", () => {
    const n = node();
    n.timeout(Step.Propose, 0);
    n.timeout(Step.Prevote, 0);
    n.m.handle({ kind: "vote", vote: vote(Prevote, 0, A, 0) });
    const out = [...n.propose(0, A), ...n.vote(Prevote, 0, A, 2, 3)];
    expect(votes(out)).toEqual([]);
    expect(n.m.state()).toMatchObject({ lockedRound: -1, lockedBlockHash: null, validRound: 0, validBlockHash: A });
  });

  it("the next proposer re-proposes its valid value with validRound, without getValue", () => {
    const n = node();
    n.propose(0, A);
    n.vote(Prevote, 0, A, 0, 2, 3);
    const out = n.timeout(Step.Precommit, 0);
    expect(of(out, "getValue")).toEqual([]);
    expect(of(out, "propose")).toEqual([
      { kind: "propose", proposal: { height: 1n, round: 1, polRound: 0, blockHash: A, validatorIndex: 1 } },
    ]);
  });

  it("a locked node prevotes nil for another value without a proof-of-lock", () => {
    const n = node();
    n.propose(0, A);
    n.vote(Prevote, 0, A, 0, 2, 3);
    n.timeout(Step.Precommit, 0);
    n.timeout(Step.Propose, 1);
    n.timeout(Step.Prevote, 1);
    n.timeout(Step.Precommit, 1);
    expect(votes(n.propose(2, B))).toEqual([[Prevote, 2, null]]);
    // The locked value itself is still prevoted.
    n.timeout(Step.Prevote, 2);
    n.timeout(Step.Precommit, 2);
    expect(votes(n.propose(3, A))).toEqual([[Prevote, 3, A]]);
  });

  it("L28: a proof-of-lock from a round ≥ lockedRound unlocks; an older one does not", () => {
    const n = node();
    // Round 0: prevotes for B without B's proposal (no lock), the node prevotes and precommits nil.
    n.timeout(Step.Propose, 0);
    n.vote(Prevote, 0, B, 0, 2, 3);
    n.timeout(Step.Prevote, 0);
    // Round 1: the node proposes A, sees +2/3 prevotes for A and locks on it.
    n.timeout(Step.Precommit, 0);
    n.m.handle({ kind: "ownValue", height: 1n, round: 1, blockHash: A });
    n.propose(1, A);
    n.vote(Prevote, 1, A, 0, 2, 3);
    expect(n.m.state()).toMatchObject({ lockedRound: 1, lockedBlockHash: A });
    // Round 2: B with a POL from round 0 < lockedRound: nil.
    n.timeout(Step.Precommit, 1);
    expect(votes(n.propose(2, B, true, 0))).toEqual([[Prevote, 2, null]]);
    n.timeout(Step.Prevote, 2);
    // +2/3 prevotes for B in round 2 arrive after the node precommitted nil: B becomes the valid value, A stays locked.
    n.vote(Prevote, 2, B, 0, 2, 3);
    expect(n.m.state()).toMatchObject({ lockedRound: 1, lockedBlockHash: A, validRound: 2, validBlockHash: B });
    // Round 3: B with the POL from round 2 ≥ lockedRound: prevote B.
    n.timeout(Step.Precommit, 2);
    expect(votes(n.propose(3, B, true, 2))).toEqual([[Prevote, 3, B]]);
  });

  it("L28 waits for the proof-of-lock, and prevotes nil for an invalid block even with one", () => {
    const n = node();
    n.timeout(Step.Propose, 0);
    n.timeout(Step.Prevote, 0);
    n.timeout(Step.Precommit, 0);
    n.timeout(Step.Propose, 1);
    n.timeout(Step.Prevote, 1);
    n.timeout(Step.Precommit, 1);
    expect(votes(n.propose(2, B, false, 0))).toEqual([]);
    expect(votes(n.vote(Prevote, 0, B, 0, 2, 3))).toEqual([[Prevote, 2, null]]);
  });
});

describe("ConsensusStateMachine: decisions, evidence, heights", () => {
  it("L49: decides once on a valid proposal with +2/3 precommits, in any round", () => {
    const n = node();
    n.propose(0, A);
    expect(n.vote(Precommit, 0, A, 0, 2)).toEqual([]);
    const out = n.vote(Precommit, 0, A, 3);
    expect(of(out, "decide")).toEqual([
      {
        kind: "decide",
        height: 1n,
        round: 0,
        blockHash: A,
        precommits: [vote(Precommit, 0, A, 0), vote(Precommit, 0, A, 2), vote(Precommit, 0, A, 3)],
      },
    ]);
    expect(n.vote(Precommit, 0, A, 1)).toEqual([]);
    expect(n.timeout(Step.Precommit, 0)).toEqual([]);

    const late = node();
    late.timeout(Step.Propose, 0);
    late.timeout(Step.Prevote, 0);
    late.timeout(Step.Precommit, 0);
    late.vote(Precommit, 0, B, 0, 2, 3);
    expect(of(late.propose(0, B), "decide")[0]?.round).toBe(0);
    expect(late.m.state().round).toBe(1);
  });

  it("does not decide an invalid block", () => {
    const n = node();
    n.propose(0, A, false);
    expect(of(n.vote(Precommit, 0, A, 0, 2, 3), "decide")).toEqual([]);
  });

  it("reports a second, different vote once as evidence; counts the validator once in the any-value tally", () => {
    const n = node();
    n.timeout(Step.Propose, 0);
    n.vote(Prevote, 0, A, 2);
    const ev = n.vote(Prevote, 0, B, 2);
    expect(ev).toEqual([
      {
        kind: "evidence",
        evidence: { voteA: vote(Prevote, 0, A, 2), voteB: vote(Prevote, 0, B, 2), validator: addr(2), validatorPower: 1n, totalPower: 4n },
      },
    ]);
    expect(n.vote(Prevote, 0, null, 2)).toEqual([]);
    expect(n.vote(Prevote, 0, A, 2)).toEqual([]);
    n.propose(0, B);
    // Validators 2 and 0: not +2/3 of anything, though 2 signed three values.
    expect(of(n.vote(Prevote, 0, B, 0), "scheduleTimeout")).toEqual([]);
    // B now has 2, 0 and 3: +2/3, so the node locks and precommits it.
    const out = n.vote(Prevote, 0, B, 3);
    expect(of(out, "scheduleTimeout")).toHaveLength(1);
    expect(votes(out)).toEqual([[Precommit, 0, B]]);
    // nil counts as a block id.
    n.vote(Precommit, 0, A, 3);
    expect(of(n.vote(Precommit, 0, null, 3), "evidence")).toHaveLength(1);
  });

  it("decides on a commit that includes an equivocator's precommit it first saw for another value", () => {
    const n = node();
    n.vote(Precommit, 0, null, 2);
    n.propose(0, A);
    const out = n.vote(Precommit, 0, A, 0, 2, 3);
    expect(of(out, "evidence")).toHaveLength(1);
    expect(of(out, "decide")[0]?.precommits.map((v) => v.validatorIndex)).toEqual([0, 2, 3]);
  });

  it("buffers next-height messages and replays them on newHeight; ignores older and far-future ones", () => {
    const n = node();
    const h2 = (type: VoteType, from: number[]) => from.map((i) => n.m.handle({ kind: "vote", vote: vote(type, 1, C, i, 2n) }));
    expect(h2(Prevote, [0, 2, 3]).flat()).toEqual([]);
    expect(h2(Precommit, [0, 2, 3]).flat()).toEqual([]);
    expect(n.m.handle({ kind: "proposal", proposal: proposal(1, C, -1, 2n) })).toEqual([]);
    n.m.handle({ kind: "vote", vote: vote(Prevote, 5, null, 0, 3n) });
    n.m.handle({ kind: "vote", vote: vote(Prevote, 5, null, 2, 3n) });
    expect(n.m.state().height).toBe(1n);

    const start = n.m.handle({ kind: "newHeight", height: 2n, validators: VS.nextHeight() });
    expect(n.m.state()).toMatchObject({ height: 2n, round: 1 });
    expect(of(start, "validate")).toEqual([{ kind: "validate", height: 2n, round: 1, blockHash: C }]);
    const out = n.m.handle({ kind: "blockValidity", height: 2n, round: 1, blockHash: C, valid: true });
    expect(of(out, "decide")[0]).toMatchObject({ height: 2n, round: 1, blockHash: C });
    expect(n.m.handle({ kind: "vote", vote: vote(Precommit, 1, C, 1, 1n) })).toEqual([]);
    // Height-3 messages sent during height 1 were dropped.
    n.m.handle({ kind: "newHeight", height: 3n, validators: VS.nextHeight().nextHeight() });
    expect(n.m.state()).toMatchObject({ height: 3n, round: 0 });
    expect(n.m.handle({ kind: "newHeight", height: 2n, validators: VS })).toEqual([]);
  });

  it("an observer follows and decides but never proposes or votes", () => {
    const n = node(null);
    const out = [...n.first, ...n.propose(0, A), ...n.vote(Prevote, 0, A, 0, 1, 2), ...n.timeout(Step.Propose, 0)];
    expect(out.filter((o) => o.kind === "vote" || o.kind === "getValue" || o.kind === "propose")).toEqual([]);
    expect(of(n.vote(Precommit, 0, A, 0, 1, 2), "decide")).toHaveLength(1);
  });
});
