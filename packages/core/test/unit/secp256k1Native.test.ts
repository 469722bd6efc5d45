import { existsSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CoreErrorCode } from "../../src/errors.js";
import { installNativeSecp256k1, nativeSecp256k1, secp256k1SelfCheck } from "../../src/native/index.js";
import {
  npmRecover,
  RECOVER_ITEM_BYTES,
  recoverAddressBatch,
  recoverAddressBytes,
  recoverPublicKey,
  setSecp256k1Recover,
  signDigest,
} from "../../src/secp256k1.js";

// The system-libsecp256k1 addon (native/secp256k1/recover.c) against the npm secp256k1 package: random valid and
// random garbage signatures, the batch call, bad arguments, and the self-check that gates installing it.

const headers = ["/usr/include", "/usr/local/include"].some((d) => existsSync(`${d}/secp256k1_recovery.h`));
const RUNS = { numRuns: 300, seed: 0x5ec9 };
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => k.some((b) => b !== 0) && k[0]! < 0xff);

// 30 items, every third one failing (zero signature, or recovery id 4).
function batchItems(): { items: Uint8Array; expected: (Uint8Array | null)[] } {
  const items = new Uint8Array(30 * RECOVER_ITEM_BYTES);
  const expected: (Uint8Array | null)[] = [];
  for (let i = 0; i < 30; i++) {
    const digest = new Uint8Array(32).fill(i + 1);
    const signed = signDigest(digest, new Uint8Array(32).fill(i + 2));
    const signature = i % 6 === 2 ? new Uint8Array(64) : signed.signature;
    const recovery = i % 6 === 5 ? 4 : signed.recovery;
    items.set(digest, i * RECOVER_ITEM_BYTES);
    items.set(signature, i * RECOVER_ITEM_BYTES + 32);
    items[i * RECOVER_ITEM_BYTES + 96] = recovery;
    expected.push(i % 3 === 2 ? null : recoverAddressBytes(digest, signature, recovery));
  }
  return { items, expected };
}

function expectBatch(out: Uint8Array, expected: (Uint8Array | null)[]): void {
  expect(out.length).toBe(expected.length * 21);
  for (const [i, e] of expected.entries()) {
    const row = out.subarray(i * 21, i * 21 + 21);
    if (e === null) expect(row.every((b) => b === 0)).toBe(true);
    else expect(Buffer.from(row).toString("hex")).toBe(`01${Buffer.from(e).toString("hex")}`);
  }
}

it("recoverAddressBatch without a batch implementation recovers item by item", () => {
  setSecp256k1Recover(npmRecover);
  const { items, expected } = batchItems();
  expectBatch(recoverAddressBatch(items), expected);
  expect(recoverAddressBatch(new Uint8Array(0)).length).toBe(0);
  expect(() => recoverAddressBatch(new Uint8Array(98))).toThrow(expect.objectContaining({ code: CoreErrorCode.INVALID_SIGNATURE }));
  installNativeSecp256k1();
});

it("is built and loaded where libsecp256k1's headers are installed", () => {
  if (process.env.ZG_NATIVE_SECP256K1 === "0") return;
  expect(nativeSecp256k1 !== null).toBe(headers);
});

describe.skipIf(nativeSecp256k1 === null)("native secp256k1 addon", () => {
  const native = nativeSecp256k1!;
  afterAll(() => setSecp256k1Recover(npmRecover));

  const same = (a: Uint8Array | null, b: Uint8Array | null) => {
    expect(a === null).toBe(b === null);
    if (a !== null && b !== null) expect(Buffer.from(a).toString("hex")).toBe(Buffer.from(b).toString("hex"));
  };

  it("recovers what the npm package recovers from valid signatures, for every recovery id", () => {
    fc.assert(
      fc.property(key32, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 3 }), (key, digest, flip) => {
        const { signature, recovery } = signDigest(digest, key);
        const id = recovery ^ flip;
        const got = native.recover(digest, signature, id);
        same(got, npmRecover(digest, signature, id));
        if (flip === 0) expect(got).not.toBeNull();
      }),
      RUNS,
    );
  });

  it("agrees with the npm package on random 64-byte signatures (most do not recover)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.integer({ min: 0, max: 5 }),
        (digest, signature, id) => same(native.recover(digest, signature, id), npmRecover(digest, signature, id)),
      ),
      RUNS,
    );
  });

  it("recoverBatch gives each item's result, zeroing the failures", () => {
    const cases = Array.from({ length: 50 }, (_, i) => {
      const digest = new Uint8Array(32).fill(i);
      const { signature, recovery } = signDigest(digest, new Uint8Array(32).fill(i + 1));
      return i % 3 === 2 ? { digest, signature: new Uint8Array(64), recovery } : { digest, signature, recovery };
    });
    const items = new Uint8Array(cases.length * 97);
    for (const [i, c] of cases.entries()) {
      items.set(c.digest, i * 97);
      items.set(c.signature, i * 97 + 32);
      items[i * 97 + 96] = c.recovery;
    }
    const out = new Uint8Array(cases.length * 65).fill(0xee);
    native.recoverBatch(items, out);
    for (const [i, c] of cases.entries()) {
      const row = out.subarray(i * 65, i * 65 + 65);
      const expected = npmRecover(c.digest, c.signature, c.recovery);
      if (expected === null) expect(row.every((b) => b === 0)).toBe(true);
      else same(row[0] === 1 ? row.subarray(1) : null, expected);
    }
    native.recoverBatch(new Uint8Array(0), new Uint8Array(0));
  });

  it("refuses arguments of the wrong type or size", () => {
    const d = new Uint8Array(32);
    const s = new Uint8Array(64);
    expect(() => native.recover(new Uint8Array(31), s, 0)).toThrow(RangeError);
    expect(() => native.recover(d, new Uint8Array(65), 0)).toThrow(RangeError);
    expect(() => native.recover([] as unknown as Uint8Array, s, 0)).toThrow(TypeError);
    expect(() => native.recover(d, new Uint16Array(32) as unknown as Uint8Array, 0)).toThrow(TypeError);
    expect(() => native.recover(d, s, "0" as unknown as number)).toThrow(TypeError);
    expect(() => native.recoverBatch(new Uint8Array(96), new Uint8Array(65))).toThrow(RangeError);
    expect(() => native.recoverBatch(new Uint8Array(97), new Uint8Array(64))).toThrow(RangeError);
    expect(() => native.recoverBatch(new Uint8Array(97), null as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("passes its self-check, which a wrong implementation fails", () => {
    expect(secp256k1SelfCheck(native)).toBe(true);
    const batch = native.recoverBatch;
    expect(secp256k1SelfCheck({ recover: (d, s, r) => native.recover(d, s, r ^ 1), recoverBatch: batch })).toBe(false);
    expect(secp256k1SelfCheck({ recover: (d, s, r) => native.recover(d, s, r & 1), recoverBatch: batch })).toBe(false);
    expect(secp256k1SelfCheck({ recover: (d, s, r) => native.recover(d, s, r) ?? new Uint8Array(64), recoverBatch: batch })).toBe(false);
    const zeroFirst = (i: Uint8Array, o: Uint8Array) => {
      batch(i, o);
      o[0] = 0;
    };
    expect(secp256k1SelfCheck({ recover: native.recover, recoverBatch: zeroFirst })).toBe(false);
    expect(secp256k1SelfCheck({ recover: native.recover, recoverBatch: () => {} })).toBe(false);
  });

  it("once installed, recoverAddressBatch makes one batch call and matches item-by-item recovery", () => {
    expect(installNativeSecp256k1()).toBe(true);
    const { items, expected } = batchItems();
    expectBatch(recoverAddressBatch(items), expected);
    let batches = 0;
    setSecp256k1Recover(native.recover, (i, o) => {
      batches++;
      native.recoverBatch(i, o);
    });
    expectBatch(recoverAddressBatch(items), expected);
    expect(batches).toBe(1);
  });

  it("once installed, recoverPublicKey uses it and still throws INVALID_SIGNATURE", () => {
    expect(installNativeSecp256k1()).toBe(true);
    const digest = new Uint8Array(32).fill(5);
    const { signature, recovery } = signDigest(digest, new Uint8Array(32).fill(9));
    same(recoverPublicKey(digest, signature, recovery), npmRecover(digest, signature, recovery));
    let calls = 0;
    setSecp256k1Recover((d, s, r) => {
      calls++;
      return native.recover(d, s, r);
    });
    recoverPublicKey(digest, signature, recovery);
    expect(calls).toBe(1);
    for (const [s, r] of [
      [new Uint8Array(64), 0],
      [signature, 7],
      [signature.subarray(0, 63), 0],
    ] as const) {
      expect(() => recoverPublicKey(digest, s, r)).toThrow(expect.objectContaining({ code: CoreErrorCode.INVALID_SIGNATURE }));
    }
    expect(() => recoverPublicKey(digest.subarray(1), signature, recovery)).toThrow(
      expect.objectContaining({ code: CoreErrorCode.INVALID_SIGNATURE }),
    );
  });
});
