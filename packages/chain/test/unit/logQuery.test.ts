import { equalsBytes, keccak256, ParamError, RpcError } from "@zerog/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bloomContains, type LogTuple, logsBloom } from "../../src/block/bloom.js";
import { type LogCriteria, LogMatcher, logFilterSchema } from "../../src/rpc/logQuery.js";

// Small pools so that matches and misses are both common.
const ADDRS = [1, 2, 3].map((i) => new Uint8Array(20).fill(i));
const TOPICS = [1, 2, 3, 4].map((i) => keccak256(Uint8Array.of(i)));

const logArb: fc.Arbitrary<LogTuple> = fc.tuple(
  fc.constantFrom(...ADDRS),
  fc.array(fc.constantFrom(...TOPICS), { maxLength: 4 }),
  fc.uint8Array({ maxLength: 8 }),
);

const criteriaArb: fc.Arbitrary<LogCriteria> = fc.record({
  addresses: fc.subarray(ADDRS),
  topics: fc.array(fc.option(fc.subarray(TOPICS), { nil: null }), { maxLength: 4 }),
});

/** The definition, written as plainly as possible. */
function naiveMatch(log: LogTuple, c: LogCriteria): boolean {
  const [address, topics] = log;
  if (c.addresses.length > 0 && !c.addresses.some((a) => equalsBytes(a, address))) return false;
  if (c.topics.length > topics.length) return false;
  return c.topics.every((alts, i) => alts === null || alts.length === 0 || alts.some((t) => equalsBytes(t, topics[i]!)));
}

/** A bloom may hold a match iff every non-empty group (addresses, each topic position) has a member in it. */
function naiveBloom(bloom: Uint8Array, c: LogCriteria): boolean {
  const groups = [c.addresses, ...c.topics.map((t) => t ?? [])].filter((g) => g.length > 0);
  return groups.every((g) => g.some((v) => bloomContains(bloom, v)));
}

describe("log matching", () => {
  it("matches a log iff the naive definition does", () => {
    fc.assert(
      fc.property(logArb, criteriaArb, (log, c) => {
        expect(new LogMatcher(c).matches(log)).toBe(naiveMatch(log, c));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it("bloom pre-check agrees with bloomContains and never rejects a block holding a match", () => {
    fc.assert(
      fc.property(fc.array(logArb, { maxLength: 5 }), criteriaArb, (logs, c) => {
        const m = new LogMatcher(c);
        const bloom = logsBloom(logs);
        expect(m.bloomMayMatch(bloom)).toBe(naiveBloom(bloom, c));
        if (logs.some((l) => m.matches(l))) expect(m.bloomMayMatch(bloom)).toBe(true);
      }),
      { seed: 7, numRuns: 1000 },
    );
  });

  it("treats an empty criteria as match-all and a trailing wildcard as requiring the topic", () => {
    const anon: LogTuple = [ADDRS[0]!, [], new Uint8Array()];
    expect(new LogMatcher({ addresses: [], topics: [] }).matches(anon)).toBe(true);
    expect(new LogMatcher({ addresses: [], topics: [null] }).matches(anon)).toBe(false);
  });
});

describe("filter object schema", () => {
  const parse = (v: unknown) => logFilterSchema().parse(v);
  const topic = `0x${"11".repeat(32)}`;

  it("reads addresses, topics, OR-lists and wildcards as geth does", () => {
    const f = parse({ address: `0x${"ab".repeat(20)}`, topics: [topic, null, [topic, null], []], fromBlock: "0x1", toBlock: "latest" });
    expect(f.addresses).toHaveLength(1);
    expect(f.topics.map((t) => t?.length ?? null)).toEqual([1, null, null, null]);
    expect(f.fromBlock).toBe(1n);
    expect(f.toBlock).toBe("latest");
    expect(parse({}).topics).toEqual([]);
    expect(parse({ address: null, topics: null }).addresses).toEqual([]);
  });

  it("rejects what geth rejects", () => {
    expect(() => parse({ topics: [null, null, null, null, null] })).toThrow(/exceed max topics/);
    expect(() => parse({ topics: [Array(1001).fill(topic)] })).toThrow(/exceed max topics/);
    expect(() => parse({ address: Array(1001).fill(`0x${"ab".repeat(20)}`) })).toThrow(/exceed max addresses/);
    expect(() => parse({ blockHash: topic, fromBlock: "0x1" })).toThrow(/cannot specify both BlockHash and FromBlock\/ToBlock/);
    expect(() => parse({ topics: ["0x12"] })).toThrow(ParamError);
    expect(() => parse({ address: 5 })).toThrow(/invalid addresses in query/);
    try {
      parse({ fromBlock: "0x5", toBlock: "0x4" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RpcError);
      expect((e as RpcError).rpcCode).toBe(-32602);
      expect((e as RpcError).message).toBe("invalid block range params");
    }
  });
});
