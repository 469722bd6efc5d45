import { aggregatePublicKeys, SecretKey } from "@chainsafe/blst";
import fc from "fast-check";
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  bytesToHex,
  decodeEventLog,
  encodeDeployData,
  encodePacked,
  getAddress,
  type Hex,
  hexToBytes,
  keccak256,
  toEventSelector,
  toFunctionSelector,
  toHex,
} from "viem";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  contracts,
  DA_SYSTEM_CONTRACTS,
  type DAGenesisParams,
  type DAGenesisSigner,
  DEVNET_DA_PARAMS,
  daBallotSeed,
  daEntranceAbi,
  daEntranceBytecode,
  daGenesisDeployments,
  daRegistryAbi,
  daRegistryBytecode,
  daSignersAbi,
  daSignersBytecode,
  type G1Point,
  g1PointFromBytes,
  STORAGE_SYSTEM_CONTRACTS,
} from "../../src/index.js";
import {
  aggregate,
  bitmapOf,
  DAHarness,
  epochSigOf,
  genesisSignerOf,
  type ModelRegistration,
  modelAggregate,
  modelQuorums,
  pkOf,
  popOf,
  signerAddress,
} from "./daHarness.js";

const DATA_UPLOAD_TOPIC = "0x57b8b1a6583dc6ce934dfba3d66f2a8e1591b6e171bb2e0921cc64640277087b";
const VERIFIED_TOPIC = "0x0f1b20d87bebd11dddaaab51f01cf2726880cb3f8073b636dbafa2aa8cacd256";
/** Every error any of the three can raise, for decoding reverts that bubble up from DASigners. */
const ALL = [...daSignersAbi, ...daRegistryAbi, ...daEntranceAbi] as Abi;
const { DASigners, DARegistry, DAEntrance } = DA_SYSTEM_CONTRACTS;
const PARAMS: DAGenesisParams = { ...DEVNET_DA_PARAMS, tokensPerVote: 1000n, epochBlocks: 10n };
const ZERO_G1: G1Point = { xHi: 0n, xLo: 0n, yHi: 0n, yLo: 0n };

const keys = Array.from({ length: 18 }, (_, i) => SecretKey.fromKeygen(new Uint8Array(32).fill(0x40 + i)));
const addr = signerAddress;
const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());
const genesisOf = (n: number, votes: bigint) => Array.from({ length: n }, (_, i) => genesisSignerOf(keys[i]!, addr(i), votes));
const modelRegs = (gs: readonly DAGenesisSigner[]): ModelRegistration[] =>
  gs.map((g) => ({ signer: g.signer, votes: Number(g.votes), seed: g.seed }));
const pkPointOf = (idx: number[]): G1Point =>
  idx.length === 0 ? ZERO_G1 : g1PointFromBytes(aggregatePublicKeys(idx.map((i) => keys[i]!.toPublicKey())).toBytes(false));
const indexOf = (a: string) => Number(BigInt(a) - 0xa000n);

async function quorumsOf(h: DAHarness, epoch: bigint): Promise<string[][]> {
  const count = await h.view<bigint>(daSignersAbi, DASigners, "quorumCount", [epoch]);
  const out: string[][] = [];
  for (let q = 0n; q < count; q++) out.push(lower(await h.view<Hex[]>(daSignersAbi, DASigners, "getQuorum", [epoch, q])));
  return out;
}

/** Stakes `votes` votes' worth and registers signer i with its key (proof of possession included). */
async function registerSigner(h: DAHarness, i: number, votes: bigint, params = PARAMS) {
  await h.fund(addr(i), 10n ** 21n);
  await h.send(daRegistryAbi, addr(i), DARegistry, "stake", [], votes * params.tokensPerVote);
  return h.send(daRegistryAbi, addr(i), DARegistry, "registerSigner", [
    { signer: addr(i), socket: `10.0.0.${i}:34000`, pk: pkOf(keys[i]!) },
    popOf(keys[i]!, addr(i)),
  ]);
}

async function registerNextEpoch(h: DAHarness, i: number) {
  const epoch = await h.view<bigint>(daSignersAbi, DASigners, "epochNumber");
  const sig = epochSigOf(keys[i]!, addr(i), epoch + 1n);
  await h.send(daRegistryAbi, addr(i), DARegistry, "registerNextEpoch", [sig]);
  return daBallotSeed(sig);
}

describe("DA contracts: ABI and genesis encoding", () => {
  it("keeps 0G's selectors and event topics where the types did not change", () => {
    const sel = (abi: Abi, name: string) => toFunctionSelector(abi.find((i) => i.type === "function" && i.name === name) as AbiFunction);
    const signers: [string, Hex][] = [
      ["params", "0xcff0ab96"],
      ["epochNumber", "0xf4145a83"],
      ["quorumCount", "0x5ecba503"],
      ["isSigner", "0x7df73e27"],
      ["getSigner", "0xd1f5e5f8"],
      ["getQuorum", "0x6ab6f654"],
      ["getQuorumRow", "0xfa6fcba6"],
      ["updateSocket", "0x0cf4b767"],
      ["registeredEpoch", "0x6c9e560c"],
      ["makeEpoch", "0x5a889f0c"],
      ["getAggPkG1", "0x50b73739"],
    ];
    for (const [name, s] of signers) expect(sel(daSignersAbi as Abi, name), name).toBe(s);
    for (const [name, s] of [
      ["submitOriginalData", "0xd4ae59c9"],
      ["blobPrice", "0x3d00448a"],
      ["commitmentExists", "0x6a53525d"],
      ["sync", "0xfff6cae9"],
    ] as const)
      expect(sel(daEntranceAbi as Abi, name), name).toBe(s);
    for (const [name, s] of [
      ["stake", "0x3a4b66f1"],
      ["staked", "0x98807d84"],
      ["withdraw", "0x3ccfd60b"],
    ] as const)
      expect(sel(daRegistryAbi as Abi, name), name).toBe(s);
    const ev = (name: string) => daEntranceAbi.find((i) => i.type === "event" && i.name === name) as AbiEvent;
    expect(toEventSelector(ev("DataUpload"))).toBe(DATA_UPLOAD_TOPIC);
    expect(toEventSelector(ev("ErasureCommitmentVerified"))).toBe(VERIFIED_TOPIC);
    expect(ev("DataUpload").inputs.every((i) => !i.indexed)).toBe(true);
    expect(contracts.DASigners.abi).toBe(daSignersAbi);
    // No clash with the other genesis contracts.
    const taken = new Set<string>(Object.values(STORAGE_SYSTEM_CONTRACTS));
    for (const a of Object.values(DA_SYSTEM_CONTRACTS)) expect(taken.has(a)).toBe(false);
  });

  it("daGenesisDeployments encodes constructor arguments as viem does", () => {
    const genesis = [...genesisOf(3, 128n), genesisSignerOf(keys[3]!, addr(3), 7n, "a-much-longer-socket.example.org:34000/with/a/path")];
    const [signers, registry, entrance] = daGenesisDeployments(DEVNET_DA_PARAMS, genesis);
    const config = { registry: DARegistry, maxVotesPerSigner: 128n, maxQuorums: 4n, epochBlocks: 240n };
    expect(signers?.initCode).toBe(encodeDeployData({ abi: daSignersAbi, bytecode: daSignersBytecode, args: [config, genesis] }));
    expect(registry?.initCode).toBe(
      encodeDeployData({ abi: daRegistryAbi, bytecode: daRegistryBytecode, args: [DASigners, 10n ** 18n, 128n] }),
    );
    expect(entrance?.initCode).toBe(encodeDeployData({ abi: daEntranceAbi, bytecode: daEntranceBytecode, args: [DASigners, 10n ** 15n] }));
    expect(daGenesisDeployments(DEVNET_DA_PARAMS, []).map((d) => d.address)).toEqual([DASigners, DARegistry, DAEntrance]);
  });

  it("point conversion takes blst's uncompressed encodings only", () => {
    const pk = keys[0]!.toPublicKey();
    expect(() => g1PointFromBytes(pk.toBytes(true))).toThrow(/uncompressed/);
    const flagged = pk.toBytes(false);
    flagged[0]! |= 0x20;
    expect(() => g1PointFromBytes(flagged)).toThrow(/uncompressed/);
    expect(g1PointFromBytes(pk.toBytes(false))).toEqual(pkOf(keys[0]!));
  });
});

describe("DASigners", () => {
  const genesis = genesisOf(4, 128n);
  let h: DAHarness;

  beforeEach(async () => {
    h = await DAHarness.create(PARAMS, genesis);
  });

  it("genesis registers its signers and forms epoch 0's quorums by the ballot rule", async () => {
    expect(await h.view(daSignersAbi, DASigners, "epochNumber")).toBe(0n);
    const model = modelQuorums(modelRegs(genesis), 4);
    expect(model).toHaveLength(4);
    expect(await quorumsOf(h, 0n)).toEqual(model.map(lower));
    expect(lower([await h.view<Hex>(daSignersAbi, DASigners, "getQuorumRow", [0n, 2n, 77])])).toEqual([model[2]![77]!.toLowerCase()]);
    expect(await h.revert(daSignersAbi, addr(0), DASigners, "getQuorumRow", [0n, 2n, 128])).toEqual({
      errorName: "SlotOutOfRange",
      args: [128n],
    });
    expect(await h.revert(daSignersAbi, addr(0), DASigners, "getQuorum", [0n, 4n])).toEqual({
      errorName: "QuorumNotFound",
      args: [0n, 4n],
    });
    expect(await h.view(daSignersAbi, DASigners, "params")).toEqual({
      tokensPerVote: 0n,
      maxVotesPerSigner: 128n,
      maxQuorums: 4n,
      epochBlocks: 10n,
      encodedSlices: 128n,
    });
    const details = await h.view<{ signer: Hex; socket: string; pk: G1Point }[]>(daSignersAbi, DASigners, "getSigner", [
      [addr(1), addr(3)],
    ]);
    expect(details.map((d) => [d.signer.toLowerCase(), d.socket, d.pk])).toEqual([
      [addr(1), genesis[1]!.socket, pkOf(keys[1]!)],
      [addr(3), genesis[3]!.socket, pkOf(keys[3]!)],
    ]);
    expect(await h.revert(daSignersAbi, addr(0), DASigners, "getSigner", [[addr(1), addr(9)]])).toEqual({
      errorName: "NotSigner",
      args: [getAddress(addr(9))],
    });
    expect(await h.view(daSignersAbi, DASigners, "isSigner", [addr(2)])).toBe(true);
    expect(await h.view(daSignersAbi, DASigners, "isSigner", [addr(9)])).toBe(false);
    expect(await h.view(daSignersAbi, DASigners, "registeredEpoch", [addr(0), 0n])).toBe(true);
    expect(await h.view(daSignersAbi, DASigners, "registeredEpoch", [addr(0), 1n])).toBe(false);
  });

  it("registers a signer whose proof of possession verifies and rejects the others", async () => {
    const s = addr(4);
    await h.fund(s, 10n ** 21n);
    const detail = { signer: s, socket: "10.0.0.4:34000", pk: pkOf(keys[4]!) };
    expect(await h.revert(ALL, s, DARegistry, "registerSigner", [detail, popOf(keys[4]!, s)])).toEqual({
      errorName: "InsufficientStake",
      args: [0n, 1000n],
    });
    await h.send(daRegistryAbi, s, DARegistry, "stake", [], 1000n);
    const bad = async (pk: G1Point, pop: ReturnType<typeof popOf>) =>
      h.revert(ALL, s, DARegistry, "registerSigner", [{ ...detail, pk }, pop]);
    const rejected = { errorName: "InvalidProofOfPossession", args: [getAddress(s)] };
    expect(await bad(detail.pk, popOf(keys[5]!, s)), "another key's proof").toEqual(rejected);
    expect(await bad(detail.pk, popOf(keys[4]!, addr(5))), "a proof for another account").toEqual(rejected);
    expect(await bad(pkOf(keys[5]!), popOf(keys[4]!, s)), "someone else's key").toEqual(rejected);
    const infinity2 = { x0Hi: 0n, x0Lo: 0n, x1Hi: 0n, x1Lo: 0n, y0Hi: 0n, y0Lo: 0n, y1Hi: 0n, y1Lo: 0n };
    expect(await bad(ZERO_G1, infinity2), "the key at infinity").toEqual(rejected);
    expect(await h.revert(ALL, s, DARegistry, "registerSigner", [{ ...detail, signer: addr(5) }, popOf(keys[4]!, s)])).toEqual({
      errorName: "NotSignerAccount",
      args: [getAddress(s), getAddress(addr(5))],
    });
    expect(await h.revert(ALL, s, DARegistry, "registerSigner", [{ ...detail, socket: "x".repeat(97) }, popOf(keys[4]!, s)])).toEqual({
      errorName: "SocketTooLong",
      args: [97n],
    });
    expect(await h.revert(ALL, s, DASigners, "registerSigner", [detail, popOf(keys[4]!, s)])).toEqual({
      errorName: "OnlyRegistry",
      args: [getAddress(s)],
    });

    const ok = await h.send(daRegistryAbi, s, DARegistry, "registerSigner", [detail, popOf(keys[4]!, s)]);
    const newSigner = decodeEventLog({ abi: daSignersAbi, ...ok.logs[0]!, topics: ok.logs[0]!.topics as [Hex] });
    expect(newSigner.eventName).toBe("NewSigner");
    expect(newSigner.args).toEqual({ signer: getAddress(s), pk: detail.pk });
    expect(await h.view(daSignersAbi, DASigners, "isSigner", [s])).toBe(true);
    expect(await h.revert(ALL, s, DARegistry, "registerSigner", [detail, popOf(keys[4]!, s)])).toEqual({
      errorName: "SignerExists",
      args: [getAddress(s)],
    });

    const moved = await h.send(daSignersAbi, s, DASigners, "updateSocket", ["10.0.0.44:34001"]);
    expect(decodeEventLog({ abi: daSignersAbi, ...moved.logs[0]!, topics: moved.logs[0]!.topics as [Hex] }).args).toEqual({
      signer: getAddress(s),
      socket: "10.0.0.44:34001",
    });
    const [d] = await h.view<{ socket: string }[]>(daSignersAbi, DASigners, "getSigner", [[s]]);
    expect(d?.socket).toBe("10.0.0.44:34001");
    expect((await h.revert(ALL, addr(9), DASigners, "updateSocket", ["x"])).errorName).toBe("NotSigner");
    expect(ok.gas).toBeLessThan(500_000n);
  });

  it("without registrations for the next epoch, the current quorums carry over", async () => {
    h.blockNumber = 9n;
    await h.send(daSignersAbi, addr(0), DASigners, "makeEpoch");
    expect(await h.view(daSignersAbi, DASigners, "epochNumber")).toBe(0n);
    h.blockNumber = 10n;
    const r = await h.send(daSignersAbi, addr(0), DASigners, "makeEpoch");
    expect(decodeEventLog({ abi: daSignersAbi, ...r.logs[0]!, topics: r.logs[0]!.topics as [Hex] }).args).toEqual({
      epoch: 1n,
      quorumCount: 4n,
    });
    expect(await quorumsOf(h, 1n)).toEqual(await quorumsOf(h, 0n));
    expect(await h.view(daSignersAbi, DASigners, "registeredEpoch", [addr(0), 1n])).toBe(true);
    expect(await h.view(daSignersAbi, DASigners, "epochStartBlock", [1n])).toBe(10n);
  });

  const cases: { name: string; votes: bigint[]; maxQuorums: bigint; expected: number }[] = [
    { name: "two chunks of 128 and one of the last 128", votes: [100n, 120n, 80n], maxQuorums: 4n, expected: 3 },
    { name: "maxQuorums reached: no extra quorum", votes: [100n, 120n, 80n], maxQuorums: 2n, expected: 2 },
    { name: "fewer than 128 ballots: slot i = ballot i mod n", votes: [10n, 20n, 30n], maxQuorums: 4n, expected: 1 },
    { name: "exactly 256 ballots, one capped at maxVotesPerSigner", votes: [200n, 128n], maxQuorums: 4n, expected: 2 },
    { name: "devnet shape: 4 signers × 128 votes in 4 quorums", votes: [128n, 128n, 128n, 128n], maxQuorums: 4n, expected: 4 },
  ];
  for (const c of cases) {
    it(`registerNextEpoch + makeEpoch: ${c.name}`, async () => {
      const params = { ...PARAMS, maxQuorums: c.maxQuorums, maxVotes: 1000n };
      const g = await DAHarness.create(params, genesis);
      const regs: ModelRegistration[] = [];
      for (const [k, votes] of c.votes.entries()) {
        const i = 4 + k;
        await registerSigner(g, i, votes, params);
        regs.push({ signer: addr(i), votes: Math.min(Number(votes), 128), seed: await registerNextEpoch(g, i) });
      }
      const expected = modelQuorums(regs, Number(c.maxQuorums));
      expect(expected).toHaveLength(c.expected);
      g.blockNumber = 10n;
      const made = await g.send(daSignersAbi, addr(0), DASigners, "makeEpoch");
      expect(await g.view(daSignersAbi, DASigners, "epochNumber")).toBe(1n);
      expect(await quorumsOf(g, 1n)).toEqual(expected.map(lower));
      expect(await quorumsOf(g, 0n)).toEqual(modelQuorums(modelRegs(genesis), Number(c.maxQuorums)).map(lower));
      expect(await g.view(daSignersAbi, DASigners, "registeredEpoch", [addr(0), 1n])).toBe(false);
      expect(await g.view(daSignersAbi, DASigners, "registeredEpoch", [addr(4), 1n])).toBe(true);
      expect(made.gas).toBeLessThan(2_000_000n);
      console.log(`gas: makeEpoch, ${c.name}: ${made.gas}`);
    });
  }

  it("at the ballot bound (maxQuorums × 512 = 2048 ballots) makeEpoch matches the model; one more ballot is refused", async () => {
    const params = { ...PARAMS, tokensPerVote: 1n };
    const g = await DAHarness.create(params, genesis);
    const regs: ModelRegistration[] = [];
    for (let i = 0; i < 16; i++) {
      if (i < 4) {
        await g.fund(addr(i), 10n ** 21n);
        await g.send(daRegistryAbi, addr(i), DARegistry, "stake", [], 128n);
      } else await registerSigner(g, i, 128n, params);
      regs.push({ signer: addr(i), votes: 128, seed: await registerNextEpoch(g, i) });
    }
    await registerSigner(g, 16, 1n, params);
    expect(await g.revert(ALL, addr(16), DARegistry, "registerNextEpoch", [epochSigOf(keys[16]!, addr(16), 1n)])).toEqual({
      errorName: "BallotLimitReached",
      args: [2049n, 2048n],
    });
    g.blockNumber = 10n;
    const made = await g.send(daSignersAbi, addr(0), DASigners, "makeEpoch");
    expect(await quorumsOf(g, 1n)).toEqual(modelQuorums(regs, 4).map(lower));
    console.log(`gas: makeEpoch with 2048 ballots ${made.gas}`);
    expect(made.gas).toBeLessThan(4_500_000n);
  });

  it("registerNextEpoch rejects a wrong signature, a second registration and an unregistered account", async () => {
    await registerSigner(h, 4, 5n);
    const wrongEpoch = epochSigOf(keys[4]!, addr(4), 2n);
    expect(await h.revert(ALL, addr(4), DARegistry, "registerNextEpoch", [wrongEpoch])).toEqual({
      errorName: "InvalidEpochSignature",
      args: [getAddress(addr(4)), 1n],
    });
    const otherKey = epochSigOf(keys[5]!, addr(4), 1n);
    expect((await h.revert(ALL, addr(4), DARegistry, "registerNextEpoch", [otherKey])).errorName).toBe("InvalidEpochSignature");
    await registerNextEpoch(h, 4);
    expect((await h.revert(ALL, addr(4), DARegistry, "registerNextEpoch", [epochSigOf(keys[4]!, addr(4), 1n)])).errorName).toBe(
      "AlreadyRegistered",
    );
    await h.fund(addr(6), 10n ** 21n);
    await h.send(daRegistryAbi, addr(6), DARegistry, "stake", [], 5000n);
    expect((await h.revert(ALL, addr(6), DARegistry, "registerNextEpoch", [epochSigOf(keys[6]!, addr(6), 1n)])).errorName).toBe(
      "NotSigner",
    );
    expect((await h.revert(ALL, addr(0), DARegistry, "registerNextEpoch", [epochSigOf(keys[0]!, addr(0), 1n)])).errorName).toBe(
      "InsufficientStake",
    );
    expect((await h.revert(ALL, addr(4), DASigners, "registerNextEpoch", [addr(4), epochSigOf(keys[4]!, addr(4), 1n), 5n])).errorName).toBe(
      "OnlyRegistry",
    );
  });
});

describe("DASigners.getAggPkG1", () => {
  // 10 signers × 13 votes = 130 ballots: one chunk of 128 and one overlapping quorum of the last 128.
  const genesis = genesisOf(10, 13n);
  let h: DAHarness;
  let quorums: string[][];

  beforeAll(async () => {
    h = await DAHarness.create(PARAMS, genesis);
    quorums = await quorumsOf(h, 0n);
  });

  it("counts hits as 0G and sums the keys of the signers set (random bitmaps)", async () => {
    expect(quorums).toHaveLength(2);
    expect(quorums).toEqual(modelQuorums(modelRegs(genesis), 4).map(lower));
    const sparse = fc.uniqueArray(fc.integer({ min: 0, max: 127 }), { maxLength: 12 }).map((slots) => {
      const b = new Uint8Array(16);
      for (const s of slots) b[s >> 3]! |= 1 << (s & 7);
      return b;
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), sparse),
        fc.integer({ min: 0, max: 1 }),
        async (bitmap, q) => {
          const [pk, total, hit] = await h.view<[G1Point, bigint, bigint]>(daSignersAbi, DASigners, "getAggPkG1", [
            0n,
            BigInt(q),
            bytesToHex(bitmap),
          ]);
          const model = modelAggregate(quorums[q] as Hex[], bitmap);
          expect(total).toBe(128n);
          expect(hit).toBe(BigInt(model.hit));
          expect(pk).toEqual(pkPointOf(model.signers.map(indexOf)));
        },
      ),
      { numRuns: 40, seed: 5 },
    );
  });

  it("costs about what the README records", async () => {
    const g = await DAHarness.create(PARAMS, genesisOf(4, 128n));
    const gas = async (bitmap: Uint8Array) =>
      (await g.send(daSignersAbi, addr(0), DASigners, "getAggPkG1", [0n, 1n, bytesToHex(bitmap)])).gas;
    const [empty, full] = [await gas(new Uint8Array(16)), await gas(new Uint8Array(16).fill(0xff))];
    await registerSigner(g, 4, 5n);
    const epochGas = (await g.send(daRegistryAbi, addr(4), DARegistry, "registerNextEpoch", [epochSigOf(keys[4]!, addr(4), 1n)])).gas;
    console.log(`gas: getAggPkG1 (4 signers) empty ${empty}, full ${full}; registerNextEpoch ${epochGas}`);
    expect(full).toBeLessThan(150_000n);
    expect(epochGas).toBeLessThan(350_000n);
  });

  it("rejects a bitmap of the wrong length, an unknown quorum and a future epoch", async () => {
    expect(await h.revert(daSignersAbi, addr(0), DASigners, "getAggPkG1", [0n, 0n, toHex(new Uint8Array(15))])).toEqual({
      errorName: "InvalidBitmapLength",
      args: [15n],
    });
    expect((await h.revert(daSignersAbi, addr(0), DASigners, "getAggPkG1", [0n, 2n, toHex(new Uint8Array(16))])).errorName).toBe(
      "QuorumNotFound",
    );
    expect((await h.revert(daSignersAbi, addr(0), DASigners, "getAggPkG1", [1n, 0n, toHex(new Uint8Array(16))])).errorName).toBe(
      "QuorumNotFound",
    );
  });
});

describe("DARegistry", () => {
  let h: DAHarness;

  beforeEach(async () => {
    h = await DAHarness.create(PARAMS, genesisOf(4, 128n));
  });

  it("stakes from accounts only, and withdraws everything unless registered for the current or next epoch", async () => {
    expect(await h.view(daRegistryAbi, DARegistry, "params")).toEqual([1000n, 128n]);
    await registerSigner(h, 4, 3n);
    await registerSigner(h, 5, 3n);
    expect(await h.view(daRegistryAbi, DARegistry, "staked", [addr(4)])).toBe(3000n);
    expect((await h.call(addr(4), DARegistry, "0x3a4b66f1", 1n, addr(5))).ok, "a contract may not stake").toBe(false);

    await registerNextEpoch(h, 4);
    await registerNextEpoch(h, 5);
    const blocked = { errorName: "RegisteredCurrentOrNextEpoch", args: [getAddress(addr(4))] };
    expect(await h.revert(ALL, addr(4), DARegistry, "withdraw")).toEqual(blocked);
    h.blockNumber = 10n;
    await h.send(daEntranceAbi, addr(9), DAEntrance, "sync");
    expect(await h.view(daSignersAbi, DASigners, "epochNumber")).toBe(1n);
    expect(await h.revert(ALL, addr(4), DARegistry, "withdraw"), "registered for the current epoch").toEqual(blocked);
    await registerNextEpoch(h, 5);
    h.blockNumber = 20n;
    await h.send(daEntranceAbi, addr(9), DAEntrance, "sync");
    expect(await h.view(daSignersAbi, DASigners, "epochNumber")).toBe(2n);

    const before = await h.balance(addr(4));
    const r = await h.send(daRegistryAbi, addr(4), DARegistry, "withdraw");
    expect(await h.balance(addr(4))).toBe(before + 3000n);
    expect(decodeEventLog({ abi: daRegistryAbi, ...r.logs[0]!, topics: r.logs[0]!.topics as [Hex] }).args).toEqual({
      account: getAddress(addr(4)),
      amount: 3000n,
    });
    expect(await h.view(daRegistryAbi, DARegistry, "staked", [addr(4)])).toBe(0n);
    expect((await h.revert(ALL, addr(4), DARegistry, "withdraw")).errorName).toBe("NothingStaked");
    expect((await h.revert(ALL, addr(5), DARegistry, "withdraw")).errorName).toBe("RegisteredCurrentOrNextEpoch");
  });
});

describe("DAEntrance", () => {
  const genesis = genesisOf(4, 128n);
  const price = PARAMS.blobPrice;
  const user = signerAddress(100);
  let h: DAHarness;
  let seq = 0;
  const root = (): Hex => keccak256(toHex(`blob ${seq++}`));

  beforeEach(async () => {
    h = await DAHarness.create(PARAMS, genesis);
    await h.fund(user, 10n ** 21n);
  });

  const upload = async (roots: Hex[]) => {
    const r = await h.send(daEntranceAbi, user, DAEntrance, "submitOriginalData", [roots], BigInt(roots.length) * price);
    const events = r.logs
      .filter((l) => l.topics[0] === DATA_UPLOAD_TOPIC)
      .map((l) => decodeEventLog({ abi: daEntranceAbi, data: l.data, topics: l.topics as [Hex] }).args as Record<string, unknown>);
    return { ...r, events };
  };

  it("submitOriginalData emits DataUpload with 0G's topic, one round-robin quorum per call", async () => {
    const one = await upload([root()]);
    expect(one.events).toHaveLength(1);
    expect(one.events[0]).toMatchObject({ sender: getAddress(user), epoch: 0n, quorumId: 1n, blobPrice: price });
    const ten = await upload(Array.from({ length: 10 }, root));
    expect(ten.events.map((e) => e.quorumId)).toEqual(Array(10).fill(2n));
    const next = [];
    let later = 0n;
    for (let i = 0; i < 4; i++) {
      const r = await upload([root()]);
      next.push(r.events[0]?.quorumId);
      later = r.gas;
    }
    expect(next).toEqual([3n, 0n, 1n, 2n]);
    expect(await h.view(daEntranceAbi, DAEntrance, "totalFees")).toBe(15n * price);
    expect(await h.revert(ALL, user, DAEntrance, "submitOriginalData", [[root(), root()]], 2n * price - 1n)).toEqual({
      errorName: "NotEnoughFee",
      args: [2n * price, 2n * price - 1n],
    });
    expect((await h.revert(ALL, user, DAEntrance, "submitOriginalData", [[]])).errorName).toBe("NoDataRoots");
    // The first upload of a due epoch starts it (sync).
    h.blockNumber = 10n;
    expect((await upload([root()])).events[0]).toMatchObject({ epoch: 1n });
    expect(await h.view(daEntranceAbi, DAEntrance, "currentEpoch")).toBe(1n);
    console.log(`gas: submitOriginalData 1 root ${one.gas} (first ever), ${later} (later), 10 roots ${ten.gas}`);
    expect(one.gas).toBeLessThan(80_000n);
    expect(ten.gas).toBeLessThan(350_000n);
  });

  /** Signs blob (dataRoot, epoch, quorumId, commitmentsHash) with signer indices `who`, bitmap over their slots. */
  const submission = async (dataRoot: Hex, epoch: bigint, quorumId: bigint, who: number[], opts: { signedHash?: Hex } = {}) => {
    const commitmentsHash = keccak256(toHex(`commitments of ${dataRoot}`));
    const m = keccak256(
      encodePacked(["bytes32", "uint256", "uint256", "bytes32"], [dataRoot, epoch, quorumId, opts.signedHash ?? commitmentsHash]),
    );
    const quorum = (await quorumsOf(h, epoch))[Number(quorumId)] ?? (await quorumsOf(h, 0n))[0]!;
    return {
      dataRoot,
      epoch,
      quorumId,
      commitmentsHash,
      quorumBitmap: bitmapOf(quorum as Hex[], who.map(addr)),
      signature: aggregate(who.map((i) => keys[i]!.sign(hexToBytes(m)))),
    };
  };

  /** Signer indices, most slots first, until they hold ≥ 2/3 of quorum q (and the rest, which hold less). */
  const split = async (q: bigint) => {
    const quorum = (await quorumsOf(h, 0n))[Number(q)]!;
    const order = [0, 1, 2, 3].sort((a, b) => quorum.filter((s) => s === addr(b)).length - quorum.filter((s) => s === addr(a)).length);
    const enough: number[] = [];
    while (3 * modelAggregate(quorum as Hex[], hexToBytes(bitmapOf(quorum as Hex[], enough.map(addr)))).hit < 256)
      enough.push(order[enough.length]!);
    return { enough, few: [order[3]!] };
  };

  it("submitVerifiedCommitRoots accepts a real aggregate of ≥ 2/3 of the slots and emits ErasureCommitmentVerified", async () => {
    const dataRoot = root();
    const q = (await upload([dataRoot])).events[0]!.quorumId as bigint;
    expect(await h.view(daEntranceAbi, DAEntrance, "dataUploaded", [dataRoot, 0n, q])).toBe(true);
    expect(await h.view(daEntranceAbi, DAEntrance, "dataUploaded", [dataRoot, 0n, (q + 1n) % 4n])).toBe(false);
    expect(await h.view(daEntranceAbi, DAEntrance, "commitmentExists", [dataRoot, 0n, q])).toBe(false);
    const { enough } = await split(q);
    const s = await submission(dataRoot, 0n, q, enough);
    const r = await h.send(daEntranceAbi, user, DAEntrance, "submitVerifiedCommitRoots", [[s]]);
    expect(r.logs.map((l) => l.topics[0])).toEqual([VERIFIED_TOPIC]);
    expect(decodeEventLog({ abi: daEntranceAbi, data: r.logs[0]!.data, topics: r.logs[0]!.topics as [Hex] }).args).toEqual({
      dataRoot,
      epoch: 0n,
      quorumId: q,
    });
    expect(await h.view(daEntranceAbi, DAEntrance, "commitmentExists", [dataRoot, 0n, q])).toBe(true);
    expect(await h.view(daEntranceAbi, DAEntrance, "verifiedCommitmentsHash", [dataRoot, 0n, q])).toBe(s.commitmentsHash);
    const again = await h.send(daEntranceAbi, user, DAEntrance, "submitVerifiedCommitRoots", [[s]]);
    expect(again.logs).toEqual([]);
    console.log(`gas: submitVerifiedCommitRoots 1 submission (${enough.length} signers) ${r.gas}`);
    expect(r.gas).toBeLessThan(400_000n);
  });

  it("submitVerifiedCommitRoots reverts for a bad signature, < 2/3 of the slots, a wrong epoch or quorum, an unknown root", async () => {
    const dataRoot = root();
    const q = (await upload([dataRoot])).events[0]!.quorumId as bigint;
    const { enough, few } = await split(q);
    const submit = async (s: Awaited<ReturnType<typeof submission>>) => h.revert(ALL, user, DAEntrance, "submitVerifiedCommitRoots", [[s]]);

    const forged = await submission(dataRoot, 0n, q, enough, { signedHash: keccak256(toHex("other commitments")) });
    expect(await submit(forged)).toEqual({ errorName: "BadAggregateSignature", args: [dataRoot, 0n, q] });
    const missingOne = {
      ...(await submission(dataRoot, 0n, q, enough)),
      signature: (await submission(dataRoot, 0n, q, enough.slice(1))).signature,
    };
    expect((await submit(missingOne)).errorName, "bitmap claims a signer whose signature is missing").toBe("BadAggregateSignature");

    const thin = await submission(dataRoot, 0n, q, few);
    const hit = BigInt(modelAggregate((await quorumsOf(h, 0n))[Number(q)] as Hex[], hexToBytes(thin.quorumBitmap)).hit);
    expect(await submit(thin)).toEqual({ errorName: "NotEnoughSignatures", args: [hit, 128n] });

    expect(await submit(await submission(dataRoot, 1n, q, enough))).toEqual({ errorName: "WrongEpochOrQuorum", args: [1n, q] });
    expect(await submit(await submission(dataRoot, 0n, 4n, enough))).toEqual({ errorName: "WrongEpochOrQuorum", args: [0n, 4n] });
    const stranger = root();
    expect(await submit(await submission(stranger, 0n, q, enough))).toEqual({ errorName: "UnknownDataRoot", args: [stranger, 0n, q] });
    const otherQuorum = (q + 1n) % 4n;
    expect(await submit(await submission(dataRoot, 0n, otherQuorum, enough))).toEqual({
      errorName: "UnknownDataRoot",
      args: [dataRoot, 0n, otherQuorum],
    });
    expect(await h.view(daEntranceAbi, DAEntrance, "commitmentExists", [dataRoot, 0n, q])).toBe(false);
  });
});
