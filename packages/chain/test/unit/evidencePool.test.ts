import { describe, expect, it } from "vitest";
import { EvidencePool } from "../../src/consensus/evidencePool.js";
import type { Misbehavior } from "../../src/execution/engine.js";

const m = (n: number, height = 10n): Misbehavior => ({
  kind: "duplicate-vote",
  validator: new Uint8Array(20).fill(n),
  height,
  power: 1n,
  totalPower: 4n,
  evidence: Uint8Array.of(n),
});

function pool(opts: { height?: bigint; committed?: Set<number>; invalid?: Set<number> } = {}) {
  const committed = opts.committed ?? new Set<number>();
  return new EvidencePool(
    { maxPerBlock: 2, maxAgeBlocks: 100n, maxPending: 3 },
    {
      check: (e) => (opts.invalid?.has(e[0]!) ? "bad signature" : m(e[0]!)),
      committedAt: (e) => (committed.has(e[0]!) ? 5n : undefined),
      height: () => opts.height ?? 20n,
    },
  );
}

describe("EvidencePool", () => {
  it("keeps new valid evidence once, proposes at most maxPerBlock, forgets what was committed", () => {
    const p = pool({ invalid: new Set([9]) });
    expect(p.add(Uint8Array.of(1))).toBe(true);
    expect(p.add(Uint8Array.of(1))).toBe(false);
    expect(p.add(Uint8Array.of(9))).toBe(false);
    p.add(Uint8Array.of(2));
    p.add(Uint8Array.of(3));
    expect(p.forBlock().map((x) => x.evidence[0])).toEqual([1, 2]);
    p.onCommitted([m(1), m(2)]);
    expect(p.forBlock().map((x) => x.evidence[0])).toEqual([3]);
    p.add(Uint8Array.of(4));
    p.add(Uint8Array.of(5));
    p.add(Uint8Array.of(6));
    expect(p.size).toBe(3);
  });

  it("refuses committed and too old evidence", () => {
    expect(pool({ committed: new Set([1]) }).add(Uint8Array.of(1))).toBe(false);
    expect(pool({ height: 1_000n }).add(Uint8Array.of(1))).toBe(false);
  });

  it("checks a proposed block's list", () => {
    const p = pool({ committed: new Set([7]), invalid: new Set([9]) });
    expect(p.checkBlock([m(1), m(2)])).toBeUndefined();
    expect(p.checkBlock([m(1), m(2), m(3)])).toMatch(/limit 2/);
    expect(p.checkBlock([m(1), m(1)])).toMatch(/twice/);
    expect(p.checkBlock([m(7)])).toMatch(/already recorded/);
    expect(p.checkBlock([m(9)])).toMatch(/bad signature/);
    expect(p.checkBlock([{ ...m(1), power: 3n }])).toMatch(/misstates/);
  });
});
