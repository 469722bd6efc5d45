import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex, JsonRpcErrorCode, ParamError, p, parseParams, parseQuantity, RpcError, toQuantity } from "../../src/index.js";

/** The message a failing call throws (fails the test when nothing is thrown). */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  expect.unreachable("expected a throw");
  return "";
}

const ADDR = `0x${"Ab".repeat(20)}`;
const HASH = `0x${"cd".repeat(32)}`;

describe("jsonrpc params: hex schemas", () => {
  it("parses quantities and rejects with geth's messages", () => {
    expect(p.quantity().parse("0x0")).toBe(0n);
    expect(p.quantity().parse("0xff")).toBe(255n);
    expect(p.quantity().parse("0XA")).toBe(10n);
    expect(failure(() => p.quantity().parse("12"))).toBe("hex string without 0x prefix");
    expect(failure(() => p.quantity().parse("0x01"))).toBe("hex number with leading zero digits");
    expect(failure(() => p.quantity().parse("0x00"))).toBe("hex number with leading zero digits");
    expect(failure(() => p.quantity().parse("0x"))).toBe('hex string "0x"');
    expect(failure(() => p.quantity().parse(""))).toBe("empty hex string");
    expect(failure(() => p.quantity().parse("0xfg"))).toBe("invalid hex string");
    expect(failure(() => p.quantity().parse(12))).toBe("expected hex string, got number");
    expect(failure(() => p.quantity().parse(`0x1${"0".repeat(64)}`))).toBe("hex number > 256 bits");
    expect(p.quantity({ bits: 64 }).parse("0xffffffffffffffff")).toBe(2n ** 64n - 1n);
    expect(failure(() => p.quantity({ bits: 64 }).parse("0x10000000000000000"))).toBe("hex number > 64 bits");
    expect(failure(() => p.quantity({ bits: 53 }).parse("0x20000000000000"))).toBe("hex number > 53 bits");
  });

  it("parses hex data, addresses and hashes", () => {
    expect(p.hexData().parse("0x")).toEqual(new Uint8Array(0));
    expect(p.hexData().parse("")).toEqual(new Uint8Array(0));
    expect(p.hexData().parse("0x0aFF")).toEqual(Uint8Array.of(10, 255));
    expect(failure(() => p.hexData().parse("0x0"))).toBe("hex string of odd length");
    expect(failure(() => p.hexData().parse("00"))).toBe("hex string without 0x prefix");
    expect(failure(() => p.hexData().parse("0xzz"))).toBe("invalid hex string");
    expect(failure(() => p.hexData({ maxBytes: 1 }).parse("0x0000"))).toBe("hex data of 2 bytes, want at most 1");
    expect(p.address().parse(ADDR)).toBe(ADDR.toLowerCase());
    expect(failure(() => p.address().parse("0x1234"))).toBe("hex string has length 4, want 40 for address");
    expect(failure(() => p.address().parse(ADDR.slice(2)))).toBe("hex string without 0x prefix");
    expect(p.hash().parse(HASH.toUpperCase().replace("0X", "0x"))).toBe(HASH);
    expect(failure(() => p.hash().parse(ADDR))).toBe("hex string has length 40, want 64 for hash");
  });

  it("parses block tags", () => {
    for (const tag of ["latest", "pending", "safe", "finalized", "earliest"]) expect(p.blockTag().parse(tag)).toBe(tag);
    expect(p.blockTag().parse("0x10")).toBe(16n);
    expect(failure(() => p.blockTag().parse("newest"))).toBe("hex string without 0x prefix");
    expect(failure(() => p.blockTag().parse("0x010"))).toBe("hex number with leading zero digits");
    expect(failure(() => p.blockTag().parse("0x10000000000000000"))).toBe("hex number > 64 bits");
  });
});

describe("jsonrpc params: combinators", () => {
  const tx = p.object(
    {
      from: p.address(),
      to: p.nullable(p.address()),
      value: p.quantity(),
      accessList: p.array(p.object({ address: p.address(), storageKeys: p.array(p.hash()) }), { max: 2 }),
    },
    { optional: ["to", "value", "accessList"] },
  );

  it("validates objects with optional fields, ignoring unknown ones", () => {
    expect(tx.parse({ from: ADDR, extra: 1 })).toEqual({ from: ADDR.toLowerCase() });
    expect(tx.parse({ from: ADDR, to: null, value: "0x1" })).toEqual({ from: ADDR.toLowerCase(), to: null, value: 1n });
    expect(failure(() => tx.parse({ to: ADDR }))).toBe("from: missing required field");
    expect(failure(() => tx.parse([]))).toBe("expected object, got array");
    const bad = {
      from: ADDR,
      accessList: [
        { address: ADDR, storageKeys: [] },
        { address: "zz", storageKeys: [] },
      ],
    };
    expect(failure(() => tx.parse(bad))).toBe("accessList[1].address: hex string without 0x prefix");
    const badKey = { from: ADDR, accessList: [{ address: ADDR, storageKeys: [HASH, "0x1"] }] };
    expect(failure(() => tx.parse(badKey))).toBe("accessList[0].storageKeys[1]: hex string of odd length");
    const tooMany = { from: ADDR, accessList: [1, 2, 3] };
    expect(failure(() => tx.parse(tooMany))).toBe("accessList: too many elements (3), want at most 2");
  });

  it("supports oneOf, literal, optional, nullable, number, string, bool, any, custom", () => {
    const idOrTag = p.oneOf(p.hash(), p.blockTag());
    expect(idOrTag.parse(HASH)).toBe(HASH);
    expect(idOrTag.parse("latest")).toBe("latest");
    expect(failure(() => idOrTag.parse("0x01"))).toMatch(/^expected hash \| block tag: /);
    expect(p.literal("newHeads", "logs").parse("logs")).toBe("logs");
    expect(failure(() => p.literal("newHeads", "logs").parse("x"))).toBe('expected one of "newHeads" | "logs", got "x"');
    expect(p.optional(p.bool()).parse(null)).toBeUndefined();
    expect(p.nullable(p.bool()).parse(null)).toBeNull();
    expect(failure(() => p.bool().parse("true"))).toBe("expected boolean, got string");
    expect(p.number({ integer: true, min: 1 }).parse(3)).toBe(3);
    expect(failure(() => p.number({ integer: true }).parse(1.5))).toBe("expected integer, got 1.5");
    expect(failure(() => p.number({ max: 2 }).parse(3))).toBe("number 3 above maximum 2");
    expect(failure(() => p.string({ maxLength: 2 }).parse("abc"))).toBe("string longer than 2");
    expect(p.any().parse({ a: 1 })).toEqual({ a: 1 });
    const even = p.custom("even", (v) => {
      if (typeof v !== "number" || v % 2 !== 0) throw new ParamError("not even");
      return v;
    });
    expect(failure(() => even.parse(3))).toBe("not even");
  });
});

describe("jsonrpc params: positional arguments", () => {
  const schemas = [p.address(), p.blockTag(), p.optional(p.bool())] as const;

  function rpcFailure(params: unknown): RpcError {
    try {
      parseParams(schemas, params);
    } catch (e) {
      expect(e).toBeInstanceOf(RpcError);
      return e as RpcError;
    }
    return expect.unreachable("expected a throw");
  }

  it("fills missing trailing optionals and transforms values", () => {
    expect(parseParams(schemas, [ADDR, "0x2"])).toEqual([ADDR.toLowerCase(), 2n, undefined]);
    expect(parseParams(schemas, [ADDR, "latest", null])).toEqual([ADDR.toLowerCase(), "latest", undefined]);
    expect(parseParams(schemas, [ADDR, "latest", true])).toEqual([ADDR.toLowerCase(), "latest", true]);
    expect(parseParams([], undefined)).toEqual([]);
  });

  it("rejects wrong counts, nulls and by-name params with geth's messages", () => {
    const e = rpcFailure([ADDR]);
    expect(e.rpcCode).toBe(-32602);
    expect(e.code).toBe(JsonRpcErrorCode.INVALID_PARAMS);
    expect(e.message).toBe("missing value for required argument 1");
    expect(rpcFailure([]).message).toBe("missing value for required argument 0");
    expect(rpcFailure([ADDR, null]).message).toBe("missing value for required argument 1");
    expect(rpcFailure([ADDR, "latest", true, 1]).message).toBe("too many arguments, want at most 3");
    expect(rpcFailure([ADDR.slice(2), "latest"]).message).toBe("invalid argument 0: hex string without 0x prefix");
    expect(rpcFailure([ADDR, "0x01"]).message).toBe("invalid argument 1: hex number with leading zero digits");
    expect(rpcFailure({ address: ADDR }).message).toMatch(/^non-array args/);
  });
});

describe("jsonrpc params: properties", () => {
  it("quantity round-trips through toQuantity for every uint256", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (n) => {
        expect(parseQuantity(toQuantity(n))).toBe(n);
        expect(p.quantity().parse(toQuantity(n).toUpperCase().replace("0X", "0x"))).toBe(n);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it("quantity accepts exactly the canonical encodings", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(0[xX])?[0-9a-fA-Fg]{0,66}$/), (s) => {
        let n: bigint;
        try {
          n = parseQuantity(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ParamError);
          const canonical = /^0[xX](0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/.test(s);
          expect(canonical).toBe(false);
          return;
        }
        expect(toQuantity(n)).toBe(`0x${s.slice(2).toLowerCase()}`);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it("hex data round-trips bytes and rejects everything else with a ParamError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, upper) => {
        const hex = bytesToHex(bytes);
        expect(p.hexData().parse(upper ? `0x${hex.slice(2).toUpperCase()}` : hex)).toEqual(bytes);
      }),
      { seed: 1, numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        try {
          const bytes = p.hexData().parse(s);
          expect(bytesToHex(bytes)).toBe(s === "" ? "0x" : `0x${s.slice(2).toLowerCase()}`);
        } catch (e) {
          expect(e).toBeInstanceOf(ParamError);
        }
      }),
      { seed: 3, numRuns: 1000 },
    );
  });
});
