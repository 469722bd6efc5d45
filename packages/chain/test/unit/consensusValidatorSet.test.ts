import { bytesToUtf8, utf8ToBytes } from "@zerog/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Validator } from "../../src/consensus/types.js";
import { MAX_TOTAL_VOTING_POWER, ValidatorSet, ValidatorSetErrorCode, type ValidatorUpdate } from "../../src/consensus/validatorSet.js";

const val = (name: string, power: bigint | number): Validator => ({
  address: utf8ToBytes(name),
  publicKey: new Uint8Array(48),
  power: BigInt(power),
});
const name = (v: Validator): string => bytesToUtf8(v.address);
const set = (entries: [string, number | bigint][]): ValidatorSet => ValidatorSet.fromValidators(entries.map(([n, p]) => val(n, p)));

/** Round-0 proposers of `heights` successive heights. */
function heightProposers(vs: ValidatorSet, heights: number): string[] {
  const out: string[] = [];
  let s = vs;
  for (let h = 0; h < heights; h++) {
    out.push(name(s.proposer(0)));
    s = s.nextHeight();
  }
  return out;
}

/** CometBFT's verifyValidatorSet: priorities centred and within the window. */
function expectScaledAndCentred(vs: ValidatorSet): void {
  const n = BigInt(vs.size);
  const sum = vs.priorities.reduce((a, b) => a + b, 0n);
  expect(sum < n && sum > -n).toBe(true);
  const max = vs.priorities.reduce((a, b) => (a > b ? a : b));
  const min = vs.priorities.reduce((a, b) => (a < b ? a : b));
  expect(max - min <= 2n * vs.totalPower).toBe(true);
}

describe("ValidatorSet proposer selection", () => {
  it("follows the spec example: VP {p1: 1, p2: 3} gives p2, p1, p2, p2 repeating", () => {
    const seq = heightProposers(
      set([
        ["p1", 1],
        ["p2", 3],
      ]),
      12,
    );
    expect(seq).toEqual(["p2", "p1", "p2", "p2", "p2", "p1", "p2", "p2", "p2", "p1", "p2", "p2"]);
  });

  it("matches CometBFT's TestProposerSelection1 vector", () => {
    const expected =
      "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar" +
      " foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar" +
      " foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz" +
      " foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo" +
      " foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo";
    const vs = set([
      ["foo", 1000],
      ["bar", 300],
      ["baz", 330],
    ]);
    expect(heightProposers(vs, 99).join(" ")).toBe(expected);
  });

  it("matches CometBFT's TestProposerSelection2 cases", () => {
    const a = (i: number) => String.fromCharCode(0x30 + i);
    expect(
      heightProposers(
        set([
          [a(0), 100],
          [a(1), 100],
          [a(2), 100],
        ]),
        15,
      ),
    ).toEqual(Array.from({ length: 15 }, (_, i) => a(i % 3)));
    expect(
      heightProposers(
        set([
          [a(0), 100],
          [a(1), 100],
          [a(2), 400],
        ]),
        2,
      ),
    ).toEqual([a(2), a(0)]);
    expect(
      heightProposers(
        set([
          [a(0), 100],
          [a(1), 100],
          [a(2), 401],
        ]),
        3,
      ),
    ).toEqual([a(2), a(2), a(0)]);
    const counts = new Map<string, number>();
    for (const p of heightProposers(
      set([
        [a(0), 4],
        [a(1), 5],
        [a(2), 3],
      ]),
      120,
    ))
      counts.set(p, (counts.get(p) ?? 0) + 1);
    expect([counts.get(a(0)), counts.get(a(1)), counts.get(a(2))]).toEqual([40, 50, 30]);
  });

  it("breaks ties by the lexicographically smaller address, whatever the input order", () => {
    const vs = ValidatorSet.fromValidators([val("c", 1), val("a", 1), val("b", 1)]);
    expect(vs.validators.map(name)).toEqual(["a", "b", "c"]);
    expect(heightProposers(vs, 6)).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  it("with equal powers, round r at height h is the next proposer r places on (CometBFT TestProposerSelection3)", () => {
    let vs = set([
      ["a", 1],
      ["b", 1],
      ["c", 1],
      ["d", 1],
    ]);
    const order = ["a", "b", "c", "d"];
    for (let h = 0; h < 8; h++) {
      for (let r = 0; r < 9; r++) expect(name(vs.proposer(r))).toBe(order[(h + r) % 4]);
      vs = vs.nextHeight();
    }
  });

  it("round proposers are memoised consistently whatever order rounds are asked in", () => {
    const powers: [string, number][] = [
      ["a", 7],
      ["b", 1],
      ["c", 3],
      ["d", 2],
    ];
    const forward = set(powers);
    const fwd = Array.from({ length: 30 }, (_, r) => forward.proposerIndex(r));
    const backward = set(powers);
    const bwd = Array.from({ length: 30 }, (_, r) => backward.proposerIndex(29 - r)).reverse();
    expect(bwd).toEqual(fwd);
  });

  it("is fair: in P consecutive heights each validator proposes VP(i) times", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 7 }), (powers) => {
        const vs = set(powers.map((p, i) => [`v${i}`, p]));
        const total = powers.reduce((a, b) => a + b, 0);
        for (const window of [0, 1]) {
          const counts = new Map<string, number>();
          for (const p of heightProposers(vs, total * (window + 1)).slice(total * window)) counts.set(p, (counts.get(p) ?? 0) + 1);
          powers.forEach((p, i) => {
            expect(counts.get(`v${i}`) ?? 0).toBe(p);
          });
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("keeps priorities centred and within 2·P over heights and rounds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 20 }),
        (powers, heights, round) => {
          let vs = set(powers.map((p, i) => [`v${i}`, p]));
          for (let h = 0; h < heights; h++) {
            expectScaledAndCentred(vs);
            const r = vs.proposerIndex(round);
            expect(r >= 0 && r < vs.size).toBe(true);
            vs = vs.nextHeight();
          }
        },
      ),
      { seed: 7, numRuns: 150 },
    );
  });
});

describe("ValidatorSet thresholds", () => {
  it("uses > 2/3 for a quorum and > 1/3 for f+1", () => {
    const four = set([
      ["a", 1],
      ["b", 1],
      ["c", 1],
      ["d", 1],
    ]);
    expect([2n, 3n].map((p) => four.hasTwoThirds(p))).toEqual([false, true]);
    expect([1n, 2n].map((p) => four.hasOneThird(p))).toEqual([false, true]);
    const seven = set(Array.from({ length: 7 }, (_, i): [string, number] => [`v${i}`, 1]));
    expect([4n, 5n].map((p) => seven.hasTwoThirds(p))).toEqual([false, true]);
    expect([2n, 3n].map((p) => seven.hasOneThird(p))).toEqual([false, true]);
    const three = set([
      ["a", 1],
      ["b", 1],
      ["c", 1],
    ]);
    expect(three.hasTwoThirds(2n)).toBe(false);
    expect(three.hasOneThird(1n)).toBe(false);
  });

  it("indexes by address and reports powers", () => {
    const vs = set([
      ["b", 2],
      ["a", 5],
    ]);
    expect(vs.indexOf(utf8ToBytes("a"))).toBe(0);
    expect(vs.indexOf(utf8ToBytes("b"))).toBe(1);
    expect(vs.indexOf(utf8ToBytes("z"))).toBe(-1);
    expect([vs.powerOf(0), vs.powerOf(1), vs.powerOf(2)]).toEqual([5n, 2n, 0n]);
    expect(vs.totalPower).toBe(7n);
  });

  it("round-trips through its data", () => {
    const vs = set([
      ["b", 2],
      ["a", 5],
      ["c", 1],
    ])
      .nextHeight()
      .nextHeight();
    const copy = new ValidatorSet(vs.toData());
    expect(copy.priorities).toEqual(vs.priorities);
    expect(heightProposers(copy, 10)).toEqual(heightProposers(vs, 10));
  });
});

describe("ValidatorSet updates", () => {
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };
  const upd = (entries: [string, number | bigint][]): ValidatorUpdate[] => entries.map(([n, p]) => val(n, p));
  const powers = (vs: ValidatorSet): [string, bigint][] => vs.validators.map((v) => [name(v), v.power]);

  it("applies power changes, additions and removals (CometBFT TestValSetUpdatesBasicTestsExecute)", () => {
    const v = (n: number, p: number): [string, number] => [`v${n}`, p];
    expect(powers(set([v(1, 10), v(2, 10)]).withUpdates(upd([v(2, 22), v(1, 11)])))).toEqual([
      ["v1", 11n],
      ["v2", 22n],
    ]);
    expect(powers(set([v(2, 20), v(1, 10)]).withUpdates(upd([v(4, 40), v(3, 30)])))).toEqual([
      ["v1", 10n],
      ["v2", 20n],
      ["v3", 30n],
      ["v4", 40n],
    ]);
    expect(powers(set([v(3, 30), v(2, 20), v(1, 10)]).withUpdates(upd([v(2, 0)])))).toEqual([
      ["v1", 10n],
      ["v3", 30n],
    ]);
    for (const vs of [set([v(3, 20), v(1, 10)]).withUpdates(upd([v(2, 30)])), set([v(1, 1), v(2, 2)]).withUpdates(upd([v(3, 5)]))]) {
      expectScaledAndCentred(vs);
    }
  });

  it("rejects what CometBFT rejects", () => {
    const base = set([
      ["v1", 10],
      ["v2", 10],
    ]);
    expect(
      code(() =>
        base.withUpdates(
          upd([
            ["v1", 11],
            ["v1", 22],
          ]),
        ),
      ),
    ).toBe(ValidatorSetErrorCode.DUPLICATE);
    expect(
      code(() =>
        base.withUpdates(
          upd([
            ["v1", 0],
            ["v1", 0],
          ]),
        ),
      ),
    ).toBe(ValidatorSetErrorCode.DUPLICATE);
    expect(code(() => base.withUpdates(upd([["v1", -123]])))).toBe(ValidatorSetErrorCode.INVALID_POWER);
    expect(code(() => base.withUpdates(upd([["v3", 0]])))).toBe(ValidatorSetErrorCode.UNKNOWN_VALIDATOR);
    expect(
      code(() =>
        base.withUpdates(
          upd([
            ["v1", 0],
            ["v2", 0],
          ]),
        ),
      ),
    ).toBe(ValidatorSetErrorCode.EMPTY);
    expect(code(() => base.withUpdates(upd([["v1", 2n ** 63n - 1n]])))).toBe(ValidatorSetErrorCode.INVALID_POWER);
    expect(code(() => set([["v1", MAX_TOTAL_VOTING_POWER - 1n]]).withUpdates(upd([["v2", 5]])))).toBe(ValidatorSetErrorCode.POWER_OVERFLOW);
    expect(code(() => set([["v1", 0]]))).toBe(ValidatorSetErrorCode.INVALID_POWER);
    expect(code(() => ValidatorSet.fromValidators([]))).toBe(ValidatorSetErrorCode.EMPTY);
    expect(code(() => ValidatorSet.fromValidators([val("a", 1), val("a", 2)]))).toBe(ValidatorSetErrorCode.DUPLICATE);
  });

  it("accepts updates whose intermediate totals only fit in order of increasing delta", () => {
    const vs = set([
      ["v2", MAX_TOTAL_VOTING_POWER - 1n],
      ["v1", 1],
    ]);
    const next = vs.withUpdates(
      upd([
        ["v1", MAX_TOTAL_VOTING_POWER / 2n - 1n],
        ["v2", MAX_TOTAL_VOTING_POWER / 2n],
      ]),
    );
    expect(next.totalPower).toBe(MAX_TOTAL_VOTING_POWER - 2n);
    expectScaledAndCentred(next);
  });

  it("starts a new validator at −1.125·P (before centring), below everyone", () => {
    const vs = set([
      ["a", 10],
      ["b", 10],
    ]);
    const next = vs.withUpdates(upd([["c", 20]]));
    // Before centring: a = b = 0, c = −(40 + 5) = −45; window 80 needs no rescale; avg = floor(−45/3) = −15.
    expect(next.priorities).toEqual([15n, 15n, -30n]);
    expect(name(next.proposer(0))).toBe("a");
  });

  it("puts added validators at the lowest, equal priority and gives order-independent results (CometBFT TestValSetUpdatePriorityOrderTests)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 8 }),
        (start, heights, added, changed) => {
          let vs = set(start.map((p, i) => [`v${i}`, p]));
          for (let h = 0; h < heights; h++) vs = vs.nextHeight();
          const changes: ValidatorUpdate[] = [
            ...added.map((p, i) => val(`n${i}`, p)),
            // Removals, or power increases: a decrease may leave an old priority below the newcomers'.
            ...changed.slice(0, start.length - 1).map((d, i) => val(`v${i}`, d === 0 ? 0 : start[i]! + d)),
          ];
          const next = vs.withUpdates(changes);
          expectScaledAndCentred(next);
          const prio = (n: string) => next.priorities[next.indexOf(utf8ToBytes(n))]!;
          const addedPrio = prio("n0");
          for (let i = 0; i < added.length; i++) expect(prio(`n${i}`)).toBe(addedPrio);
          for (const v of next.validators) if (!name(v).startsWith("n")) expect(prio(name(v)) >= addedPrio).toBe(true);
          const shuffled = vs.withUpdates([...changes].reverse());
          expect(shuffled.priorities).toEqual(next.priorities);
          expect(shuffled.validators.map(name)).toEqual(next.validators.map(name));
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });
});
