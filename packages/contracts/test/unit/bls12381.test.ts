import { aggregatePublicKeys, aggregateSignatures, SecretKey, type Signature } from "@chainsafe/blst";
import { createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import { createEVM, type EVM } from "@ethereumjs/evm";
import { Account, createAddressFromString } from "@ethereumjs/util";
import { bytesToHex, decodeErrorResult, decodeFunctionResult, encodeFunctionData, type Hex, hexToBytes, toBytes, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { blsTestAbi, blsTestBytecode } from "../../src/generated/BLSTest.js";

// RFC 9380 Appendix J.10.1, suite BLS12381G2_XMD:SHA-256_SSWU_RO_: P = hash_to_curve(msg) as
// [x.c0, x.c1, y.c0, y.c1].
const RFC_DST = "QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_";
const RFC_VECTORS: { msg: string; p: [string, string, string, string] }[] = [
  {
    msg: "",
    p: [
      "0141ebfbdca40eb85b87142e130ab689c673cf60f1a3e98d69335266f30d9b8d4ac44c1038e9dcdd5393faf5c41fb78a",
      "05cb8437535e20ecffaef7752baddf98034139c38452458baeefab379ba13dff5bf5dd71b72418717047f5b0f37da03d",
      "0503921d7f6a12805e72940b963c0cf3471c7b2a524950ca195d11062ee75ec076daf2d4bc358c4b190c0c98064fdd92",
      "12424ac32561493f3fe3c260708a12b7c620e7be00099a974e259ddc7d1f6395c3c811cdd19f1e8dbf3e9ecfdcbab8d6",
    ],
  },
  {
    msg: "abc",
    p: [
      "02c2d18e033b960562aae3cab37a27ce00d80ccd5ba4b7fe0e7a210245129dbec7780ccc7954725f4168aff2787776e6",
      "139cddbccdc5e91b9623efd38c49f81a6f83f175e80b06fc374de9eb4b41dfe4ca3a230ed250fbe3a2acf73a41177fd8",
      "1787327b68159716a37440985269cf584bcb1e621d3a7202be6ea05c4cfe244aeb197642555a0645fb87bf7466b2ba48",
      "00aa65dae3c8d732d10ecd2c50f8a1baf3001578f71c694e03866e9f3d49ac1e1ce70dd94a733534f106d4cec0eddd16",
    ],
  },
  {
    msg: "abcdef0123456789",
    p: [
      "121982811d2491fde9ba7ed31ef9ca474f0e1501297f68c298e9f4c0028add35aea8bb83d53c08cfc007c1e005723cd0",
      "190d119345b94fbd15497bcba94ecf7db2cbfd1e1fe7da034d26cbba169fb3968288b3fafb265f9ebd380512a71c3f2c",
      "05571a0f8d3c08d094576981f4a3b8eda0a8e771fcdcc8ecceaf1356a6acf17574518acb506e435b639353c2e14827c8",
      "0bb5e7572275c567462d91807de765611490205a941a5a6af3b1691bfe596c31225d3aabdf15faff860cb4ef17c7c3be",
    ],
  },
  {
    msg: `q128_${"q".repeat(128)}`,
    p: [
      "19a84dd7248a1066f737cc34502ee5555bd3c19f2ecdb3c7d9e24dc65d4e25e50d83f0f77105e955d78f4762d33c17da",
      "0934aba516a52d8ae479939a91998299c76d39cc0c035cd18813bec433f587e2d7a4fef038260eef0cef4d02aae3eb91",
      "14f81cd421617428bc3b9fe25afbb751d934a00493524bc4e065635b0555084dd54679df1536101b2c979c0152d09192",
      "09bcccfa036b4847c9950780733633f13619994394c23ff0b32fa6b795844f4a0673e20282d07bc69641cee04f5e5662",
    ],
  },
  {
    msg: `a512_${"a".repeat(512)}`,
    p: [
      "01a6ba2f9a11fa5598b2d8ace0fbe0a0eacb65deceb476fbbcb64fd24557c2f4b18ecfc5663e54ae16a84f5ab7f62534",
      "11fca2ff525572795a801eed17eb12785887c7b63fb77a42be46ce4a34131d71f7a73e95fee3f812aea3de78b4d01569",
      "0b6798718c8aed24bc19cb27f866f1c9effcdbf92397ad6448b5c9db90d2b9da6cbabf48adc1adf59a1a28344e79d57e",
      "03a47f8e6d1763ba0cad63d6114c0accbef65707825a511b251a660a9b3994249ae4e63fac38b23da0c398689ee2ab52",
    ],
  },
];

const POP_DST = toHex("BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_");
const P = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn;
const BLS_TEST = createAddressFromString("0x00000000000000000000000000000000000b1500");
const CALLER = createAddressFromString("0x1000000000000000000000000000000000000001");

type G1 = { xHi: bigint; xLo: bigint; yHi: bigint; yLo: bigint };
type G2 = { x0Hi: bigint; x0Lo: bigint; x1Hi: bigint; x1Lo: bigint; y0Hi: bigint; y0Lo: bigint; y1Hi: bigint; y1Lo: bigint };
type Fn = (typeof blsTestAbi)[number] & { type: "function" };

const split = (v: bigint): [bigint, bigint] => [v >> 256n, v & ((1n << 256n) - 1n)];
const join = (hi: bigint, lo: bigint): bigint => (hi << 256n) | lo;
const hex48 = (v: bigint): string => v.toString(16).padStart(96, "0");
const g2Coordinates = (p: G2): string[] =>
  [join(p.x0Hi, p.x0Lo), join(p.x1Hi, p.x1Lo), join(p.y0Hi, p.y0Lo), join(p.y1Hi, p.y1Lo)].map(hex48);
const g1FromXY = (x: bigint, y: bigint): G1 => {
  const [xHi, xLo] = split(x);
  const [yHi, yLo] = split(y);
  return { xHi, xLo, yHi, yLo };
};
const modPow = (b: bigint, e: bigint, m: bigint): bigint => {
  let r = 1n;
  let base = b % m;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * base) % m;
    base = (base * base) % m;
  }
  return r;
};

/** Deterministic keys: blst KeyGen over a fixed 32-byte seed per signer. */
const secretKey = (i: number): SecretKey => SecretKey.fromKeygen(new Uint8Array(32).fill(i + 1));
const pkBytes = (sk: SecretKey): Hex => bytesToHex(sk.toPublicKey().toBytes(false));
const sigBytes = (sig: Signature): Hex => bytesToHex(sig.toBytes(false));

describe("BLS12381 on the EIP-2537 precompiles (Prague)", () => {
  let evm: EVM;

  async function call(functionName: Fn["name"], args: readonly unknown[], gasLimit = 30_000_000n) {
    const { execResult } = await evm.runCall({
      caller: CALLER,
      origin: CALLER,
      to: BLS_TEST,
      data: hexToBytes(encodeFunctionData({ abi: blsTestAbi, functionName, args } as never)),
      gasLimit,
    });
    const ret = bytesToHex(execResult.returnValue);
    const ok = execResult.exceptionError === undefined;
    return {
      ok,
      gas: execResult.executionGasUsed,
      result: ok ? (decodeFunctionResult({ abi: blsTestAbi, functionName, data: ret } as never) as unknown) : undefined,
      error: ok ? undefined : decodeErrorResult({ abi: blsTestAbi, data: ret }),
    };
  }

  beforeAll(async () => {
    // As packages/chain's createChainCommon: Prague rules on a custom chain id.
    const common = createCustomCommon({ chainId: 16661 }, Mainnet, { hardfork: Hardfork.Prague });
    evm = await createEVM({ common });
    const init = await evm.runCode({
      code: hexToBytes(blsTestBytecode),
      data: new Uint8Array(0),
      to: BLS_TEST,
      caller: CALLER,
      gasLimit: 30_000_000n,
    });
    if (init.exceptionError) throw new Error(`BLSTest constructor failed: ${init.exceptionError.error}`);
    await evm.stateManager.putAccount(BLS_TEST, new Account(1n, 0n));
    await evm.stateManager.putCode(BLS_TEST, init.returnValue);
    // runTx warms every precompile (EIP-2929); a bare runCall does not, so without this the first call to each one
    // would pay 2,600 instead of 100 and gas would depend on test order.
    for (const address of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(address);
  });

  it("runs with the EIP-2537 precompiles at 0x0b-0x11 active", () => {
    expect(evm.common.hardfork()).toBe(Hardfork.Prague);
    expect(evm.common.isActivatedEIP(2537)).toBe(true);
    for (let a = 0x0b; a <= 0x11; a++) {
      expect(evm.getPrecompile(`0x${a.toString(16).padStart(40, "0")}`), `precompile 0x${a.toString(16)}`).toBeDefined();
    }
  });

  it("hashToG2 gives RFC 9380 J.10.1's hash_to_curve points", async () => {
    for (const v of RFC_VECTORS) {
      const r = await call("hashToG2", [toHex(v.msg), toHex(RFC_DST)]);
      expect(r.ok, v.msg.slice(0, 8)).toBe(true);
      expect(g2Coordinates(r.result as G2), v.msg.slice(0, 8)).toEqual(v.p);
    }
  });

  it("hashToG2 rejects an empty or over-long DST", async () => {
    for (const dst of ["0x", toHex("d".repeat(256))] as Hex[]) {
      const r = await call("hashToG2", [toHex("abc"), dst]);
      expect(r.error?.errorName).toBe("BLSInvalidDST");
    }
  });

  it("decodes blst's uncompressed encodings (x.c1 before x.c0) and rejects compressed ones", async () => {
    const sk = secretKey(0);
    const pk = sk.toPublicKey().toBytes(false);
    const g1 = (await call("g1FromBytes", [bytesToHex(pk)])).result as G1;
    expect(hex48(join(g1.xHi, g1.xLo))).toBe(bytesToHex(pk.subarray(0, 48)).slice(2));
    expect(hex48(join(g1.yHi, g1.yLo))).toBe(bytesToHex(pk.subarray(48)).slice(2));

    const sig = sk.sign(toBytes("m")).toBytes(false);
    const g2 = (await call("g2FromBytes", [bytesToHex(sig)])).result as G2;
    const part = (i: number) => bytesToHex(sig.subarray(48 * i, 48 * (i + 1))).slice(2);
    expect(g2Coordinates(g2)).toEqual([part(1), part(0), part(3), part(2)]);

    const compressed = await call("g1FromBytes", [bytesToHex(sk.toPublicKey().toBytes(true))]);
    expect(compressed.error?.errorName).toBe("BLSInvalidEncoding");
    const flagged = new Uint8Array(pk);
    flagged[0]! |= 0x80;
    expect((await call("g1FromBytes", [bytesToHex(flagged)])).error?.errorName).toBe("BLSInvalidEncoding");
  });

  it("verify agrees with blst: true for a signature, false for another message, key or signature", async () => {
    const [alice, bob] = [secretKey(0), secretKey(1)];
    const msg = toBytes("zerog da blob commitment 0001");
    const sig = alice.sign(msg);
    expect((await call("verify", [pkBytes(alice), bytesToHex(msg), sigBytes(sig), POP_DST])).result).toBe(true);

    const flipped = new Uint8Array(msg);
    flipped[3]! ^= 0x01;
    expect((await call("verify", [pkBytes(alice), bytesToHex(flipped), sigBytes(sig), POP_DST])).result).toBe(false);
    expect((await call("verify", [pkBytes(bob), bytesToHex(msg), sigBytes(sig), POP_DST])).result).toBe(false);
    expect((await call("verify", [pkBytes(alice), bytesToHex(msg), sigBytes(bob.sign(msg)), POP_DST])).result).toBe(false);
    // Another DST is another hash: blst signs only with the POP one.
    expect((await call("verify", [pkBytes(alice), bytesToHex(msg), sigBytes(sig), toHex("OTHER_DST_")])).result).toBe(false);

    // A corrupted signature: one coordinate bit flipped puts it off the curve; the pairing rejects it, which reads
    // as false and costs the pairing's price, not the whole gas limit.
    const corrupted = sig.toBytes(false);
    corrupted[100]! ^= 0x01;
    const bad = await call("verify", [pkBytes(alice), bytesToHex(msg), bytesToHex(corrupted), POP_DST]);
    expect(bad.result).toBe(false);
    expect(bad.gas).toBeLessThan(300_000n);
  });

  it("verify is false for keys the pairing rejects or that accept anything", async () => {
    const alice = secretKey(0);
    const msg = toBytes("m");
    const sig = (await call("g2FromBytes", [sigBytes(alice.sign(msg))])).result as G2;
    const pk = (await call("g1FromBytes", [pkBytes(alice)])).result as G1;
    const verifyPoints = async (k: G1, s: G2) => (await call("verifyPoints", [k, bytesToHex(msg), s, POP_DST])).result;
    expect(await verifyPoints(pk, sig)).toBe(true);

    // Off the curve.
    expect(await verifyPoints({ ...pk, yLo: pk.yLo ^ 1n }, sig)).toBe(false);
    // On y^2 = x^3 + 4 but outside the prime-order subgroup (G1's cofactor is ~2^125, so the first such point is).
    let x = 1n;
    let y = 0n;
    for (; ; x++) {
      const rhs = (x * x * x + 4n) % P;
      y = modPow(rhs, (P + 1n) / 4n, P);
      if ((y * y) % P === rhs) break;
    }
    expect(await verifyPoints(g1FromXY(x, y), sig)).toBe(false);
    // Non-canonical: x + p.
    expect(await verifyPoints(g1FromXY(join(pk.xHi, pk.xLo) + P, join(pk.yHi, pk.yLo)), sig)).toBe(false);
    // The key at infinity with the signature at infinity would satisfy the pairing equation for every message.
    const infinity2: G2 = { x0Hi: 0n, x0Lo: 0n, x1Hi: 0n, x1Lo: 0n, y0Hi: 0n, y0Lo: 0n, y1Hi: 0n, y1Lo: 0n };
    expect(await verifyPoints(g1FromXY(0n, 0n), infinity2)).toBe(false);
    expect(await verifyPoints(pk, infinity2)).toBe(false);
  });

  it("verify reverts instead of answering false when too little gas is left for the pairing", async () => {
    const alice = secretKey(0);
    const msg = toBytes("m");
    const args = [pkBytes(alice), bytesToHex(msg), sigBytes(alice.sign(msg)), POP_DST] as const;
    const full = await call("verify", args);
    expect(full.result).toBe(true);
    const starved = await call("verify", args, full.gas - 60_000n);
    expect(starved.ok).toBe(false);
    expect(starved.error?.errorName).toBe("BLSInsufficientGas");
  });

  it("an aggregate of 5 signatures verifies against the on-chain sum of the 5 keys, and 4 of 5 does not", async () => {
    const signers = [0, 1, 2, 3, 4].map(secretKey);
    const msg = toBytes("zerog da batch 42");
    const sigs = signers.map((sk) => sk.sign(msg));
    const pks = signers.map(pkBytes);
    const all = sigBytes(aggregateSignatures(sigs));
    expect((await call("verifyAggregate", [pks, bytesToHex(msg), all, POP_DST])).result).toBe(true);

    const fourOfFive = sigBytes(aggregateSignatures(sigs.slice(0, 4)));
    expect((await call("verifyAggregate", [pks, bytesToHex(msg), fourOfFive, POP_DST])).result).toBe(false);
    expect((await call("verifyAggregate", [pks.slice(0, 4), bytesToHex(msg), fourOfFive, POP_DST])).result).toBe(true);

    // The on-chain sum is blst's aggregate public key.
    const sum = (await call("aggregate", [pks])).result as G1;
    const expected = aggregatePublicKeys(signers.map((sk) => sk.toPublicKey())).toBytes(false);
    expect(hex48(join(sum.xHi, sum.xLo)) + hex48(join(sum.yHi, sum.yLo))).toBe(bytesToHex(expected).slice(2));
  });

  it("gas stays within the budget recorded in the README", async () => {
    const signers = Array.from({ length: 20 }, (_, i) => secretKey(i));
    const msg = toBytes("zerog da batch 42");
    const hash = await call("hashToG2", [bytesToHex(msg), POP_DST]);
    const one = await call("verify", [pkBytes(signers[0]!), bytesToHex(msg), sigBytes(signers[0]!.sign(msg)), POP_DST]);
    const aggGas = async (n: number) => {
      const sig = sigBytes(aggregateSignatures(signers.slice(0, n).map((sk) => sk.sign(msg))));
      const r = await call("verifyAggregate", [signers.slice(0, n).map(pkBytes), bytesToHex(msg), sig, POP_DST]);
      expect(r.result, `aggregate of ${n}`).toBe(true);
      return r.gas;
    };
    const [g1, g5, g20] = [await aggGas(1), await aggGas(5), await aggGas(20)];
    expect(hash.gas).toBeLessThan(70_000n);
    expect(one.gas).toBeLessThan(180_000n);
    expect(g5).toBeLessThan(200_000n);
    expect((g20 - g5) / 15n).toBeLessThan(2_000n); // per extra key: one G1ADD (375) plus decoding
    expect(g1).toBeLessThan(g5);
  });
});
