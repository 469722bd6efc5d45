import { FlowTree } from "@zerog/core/merkle";
import {
  type AbiEvent,
  type AbiFunction,
  bytesToHex,
  decodeEventLog,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  hexToBytes,
  keccak256,
  toEventSelector,
  toFunctionSelector,
  toHex,
} from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import {
  contracts,
  DEVNET_STORAGE_PARAMS,
  fixedPriceAbi,
  flowAbi,
  STORAGE_SYSTEM_CONTRACTS,
  storageGenesisDeployments,
  storageRewardAbi,
} from "../../src/index.js";
import { NaiveFlow, type Node, ZERO } from "./naiveFlow.js";
import { blockHashOf, StorageHarness } from "./storageHarness.js";

const PRICE = DEVNET_STORAGE_PARAMS.pricePerSector;
const SUBMIT_TOPIC = "0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555";
const EMPTY_HASH = keccak256(new Uint8Array(0));
const alice: Hex = "0x1000000000000000000000000000000000000001";
const bob: Hex = "0x2000000000000000000000000000000000000002";
const { Flow, FixedPrice, StorageReward } = STORAGE_SYSTEM_CONTRACTS;

const fn = (name: string, inputType?: string): AbiFunction => {
  const item = flowAbi.find(
    (i) => i.type === "function" && i.name === name && (inputType === undefined || i.inputs[0]?.type === inputType),
  ) as AbiFunction | undefined;
  if (!item) throw new Error(`no ${name}`);
  return item;
};
const oldSubmit = [flowAbi.find((i) => i.type === "function" && i.name === "submit" && i.inputs[0]?.components?.length === 3)!];
const newSubmit = [flowAbi.find((i) => i.type === "function" && i.name === "submit" && i.inputs[0]?.components?.length === 2)!];

let seed = 0;
const root = (): Hex => keccak256(toHex(`node ${seed++}`));
const nodes = (...heights: number[]): Node[] => heights.map((height) => ({ root: root(), height }));
const sectors = (ns: readonly Node[]): bigint => ns.reduce((s, n) => s + (1n << BigInt(n.height)), 0n);
const data = (ns: readonly Node[], length?: bigint, tags: Hex = "0x") => ({
  length: length ?? sectors(ns) * 256n,
  tags,
  nodes: ns.map((n) => ({ root: n.root, height: BigInt(n.height) })),
});
const encOld = (d: ReturnType<typeof data>): Hex => encodeFunctionData({ abi: oldSubmit, functionName: "submit", args: [d] } as never);
const encNew = (d: ReturnType<typeof data>, submitter: Hex): Hex =>
  encodeFunctionData({ abi: newSubmit, functionName: "submit", args: [{ data: d, submitter }] } as never);
const view = async (h: StorageHarness, to: Hex, abi: readonly unknown[], functionName: string, args: unknown[] = []) => {
  const r = await h.call(alice, to, encodeFunctionData({ abi, functionName, args } as never));
  expect(r.ok, functionName).toBe(true);
  return decodeFunctionResult({ abi, functionName, data: r.ret } as never) as unknown;
};

describe("storage contracts: ABI", () => {
  it("selectors and topics match 0G's (reference §2.1)", () => {
    const selectors: [AbiFunction, Hex][] = [
      [newSubmit[0] as AbiFunction, "0xbc8c11f8"],
      [oldSubmit[0] as AbiFunction, "0xef3e12dc"],
      [fn("batchSubmit", "tuple[]") as AbiFunction, "0x00000000"],
      [fn("market"), "0x80f55605"],
      [fn("getContext"), "0x127f0f07"],
      [fn("makeContextWithResult"), "0xb464b53e"],
      [fn("queryContextAtPosition"), "0x31bae174"],
      [fn("getEpochRange"), "0x7d590708"],
      [fn("getFlowRootByTxSeq"), "0x6d7ad0fc"],
      [fn("tree"), "0xfd54b228"],
      [fn("numSubmissions"), "0x77e19824"],
      [fn("submissionIndex"), "0xb8a409ac"],
      [fn("epoch"), "0x900cf0cf"],
      [fn("firstBlock"), "0x231b0268"],
      [fn("blocksPerEpoch"), "0xf0682054"],
    ];
    for (const [item, sel] of selectors.filter(([, s]) => s !== "0x00000000")) expect(toFunctionSelector(item), item.name).toBe(sel);
    const batch = flowAbi.filter((i) => i.type === "function" && i.name === "batchSubmit").map((i) => toFunctionSelector(i as AbiFunction));
    expect(batch.sort()).toEqual(["0x49aa3395", "0x9e62a38e"]);
    for (const item of flowAbi.filter((i) => i.type === "function" && (i.name === "submit" || i.name === "batchSubmit"))) {
      expect((item as AbiFunction).stateMutability).toBe("payable");
    }
    const ev = (name: string) => flowAbi.find((i) => i.type === "event" && i.name === name) as AbiEvent;
    expect(toEventSelector(ev("Submit"))).toBe(SUBMIT_TOPIC);
    expect(toEventSelector(ev("NewEpoch"))).toBe("0xbc8a3fd82465d43f1709e44ed882f7e1af0147274196ef1ec009f5d52ff4e993");
    expect(ev("Submit").inputs.map((i) => i.name)).toEqual(["sender", "identity", "submissionIndex", "startPos", "length", "submission"]);
    const mf = (name: string) => fixedPriceAbi.find((i) => i.type === "function" && i.name === name) as AbiFunction;
    expect(toFunctionSelector(mf("pricePerSector"))).toBe("0x61ec5082");
    expect(toFunctionSelector(mf("chargeFee"))).toBe("0xda6eb36a");
    const notEnough = flowAbi.find((i) => i.type === "error" && i.name === "NotEnoughFee");
    expect(notEnough?.inputs.map((i) => i.type)).toEqual(["uint256", "uint256", "uint256"]);
    expect(contracts.Flow.abi).toBe(flowAbi);
    expect(STORAGE_SYSTEM_CONTRACTS).toEqual({
      Flow: "0x0000000000000000000000000000000000005000",
      FixedPrice: "0x0000000000000000000000000000000000005001",
      StorageReward: "0x0000000000000000000000000000000000005002",
    });
  });
});

describe("storage contracts on the EVM", () => {
  let h: StorageHarness;

  beforeEach(async () => {
    h = await StorageHarness.create();
    await h.fund(alice, 10n ** 24n);
    await h.fund(bob, 10n ** 24n);
  });

  const submit = async (ns: Node[], opts: { value?: bigint; length?: bigint; from?: Hex } = {}) => {
    const r = await h.call(opts.from ?? alice, Flow, encOld(data(ns, opts.length)), opts.value ?? sectors(ns) * PRICE);
    expect(r.ok).toBe(true);
    const log = r.logs.find((l) => l.topics[0] === SUBMIT_TOPIC)!;
    return { ...r, event: decodeEventLog({ abi: flowAbi, eventName: "Submit", topics: log.topics as [Hex], data: log.data }).args };
  };

  it("rejects each broken validity rule with its own error (§1.2)", async () => {
    const cases: [Hex, string, unknown[]][] = [
      [encNew(data(nodes(0)), "0x0000000000000000000000000000000000000000"), "InvalidSubmitter", []],
      [encOld({ length: 256n, tags: "0x", nodes: [] }), "EmptySubmission", []],
      [encOld(data(nodes(64), 1n)), "NodeHeightTooLarge", [64n]],
      [encOld(data(nodes(1, 1), 3n * 256n)), "NodeHeightsNotDecreasing", [1n, 1n, 1n]],
      [encOld(data(nodes(1, 2), 5n * 256n)), "NodeHeightsNotDecreasing", [1n, 1n, 2n]],
      [encOld(data(nodes(5, 0), 33n * 256n)), "NodeHeightSpanTooLarge", [5n, 0n]],
      [encOld(data(nodes(0), 257n)), "LengthExceedsNodes", [257n, 256n]],
      [encOld(data(nodes(0), 0n)), "LengthOverPadded", [0n, 0n]],
      // 1536 sectors as [10, 9]: anything up to 1536 - 2^(10-3) = 1408 sectors is over-padded.
      [encOld(data(nodes(10, 9), 1408n * 256n)), "LengthOverPadded", [1408n * 256n, 1408n * 256n]],
      // A single 64-sector node: at most 1/16 padding, so 60 sectors are too few.
      [encOld(data(nodes(6), 60n * 256n)), "LengthOverPadded", [60n * 256n, 60n * 256n]],
    ];
    for (const [call, errorName, args] of cases) {
      expect(await h.revert(flowAbi, alice, Flow, call, 10n ** 22n), errorName).toEqual({ errorName, args });
    }
    // The boundaries themselves pass.
    for (const [ns, length] of [
      [nodes(10, 9), 1408n * 256n + 1n],
      [nodes(6), 60n * 256n + 1n],
      [nodes(0), 1n],
      [nodes(3, 2, 1, 0), 15n * 256n],
    ] as const) {
      expect((await h.call(alice, Flow, encOld(data([...ns], length)), sectors(ns) * PRICE)).ok).toBe(true);
    }
  });

  it("charges Σ2^height × pricePerSector: exact, overpaid (kept by Flow), underpaid (NotEnoughFee)", async () => {
    const ns = nodes(3, 1);
    const fee = 10n * PRICE;
    expect(await view(h, FixedPrice, fixedPriceAbi, "pricePerSector")).toBe(PRICE);
    expect(await h.revert(flowAbi, alice, Flow, encOld(data(ns)), fee - 1n)).toEqual({
      errorName: "NotEnoughFee",
      args: [PRICE, 10n, fee - 1n],
    });
    await submit(ns);
    expect(await h.balance(Flow)).toBe(0n);
    expect(await h.balance(FixedPrice)).toBe(0n);
    expect(await h.balance(StorageReward)).toBe(fee);

    const ns2 = nodes(0);
    await submit(ns2, { value: PRICE + 12345n });
    expect(await h.balance(Flow)).toBe(12345n);
    expect(await h.balance(StorageReward)).toBe(fee + PRICE);
    // Overpayment is not credit: the next submission still pays in full.
    expect((await h.revert(flowAbi, alice, Flow, encOld(data(nodes(0))), PRICE - 1n)).errorName).toBe("NotEnoughFee");
    expect(await view(h, StorageReward, storageRewardAbi, "totalReward")).toBe(fee + PRICE);
  });

  it("old and new ABI emit the same Submit event; sender is msg.sender or the submitter", async () => {
    const ns = nodes(2, 0);
    const d = data(ns, 4n * 256n + 100n, "0xabcd");
    const a = await h.call(alice, Flow, encOld(d), 5n * PRICE);
    const b = await h.call(alice, Flow, encNew(d, bob), 5n * PRICE);
    expect(a.ok && b.ok).toBe(true);
    const [la, lb] = [a, b].map((r) => r.logs.find((l) => l.address.toLowerCase() === Flow && l.topics[0] === SUBMIT_TOPIC)!);
    const identity = keccak256(`0x${ns.map((n) => n.root.slice(2)).join("")}`);
    expect(la!.topics).toEqual([SUBMIT_TOPIC, encodeAbiParameters([{ type: "address" }], [alice]), identity]);
    expect(lb!.topics).toEqual([SUBMIT_TOPIC, encodeAbiParameters([{ type: "address" }], [bob]), identity]);
    const ea = decodeEventLog({ abi: flowAbi, eventName: "Submit", topics: la!.topics as [Hex], data: la!.data }).args;
    const eb = decodeEventLog({ abi: flowAbi, eventName: "Submit", topics: lb!.topics as [Hex], data: lb!.data }).args;
    expect(ea).toMatchObject({ submissionIndex: 0n, startPos: 4n, length: 5n, submission: d });
    expect(eb).toMatchObject({ submissionIndex: 1n, startPos: 12n, length: 5n, submission: d });
    // The data part of the log differs only in submissionIndex and startPos.
    const ret = decodeFunctionResult({ abi: oldSubmit, functionName: "submit", data: a.ret } as never);
    expect(ret).toEqual([0n, identity, 4n, 5n]);
  });

  it("places submissions per §1.5 and the on-chain root equals a naive flow tree and @zerog/core's FlowTree", async () => {
    const naive = new NaiveFlow();
    const core = new FlowTree();
    // Sizes chosen to hit: alignment gaps, the segment-boundary move, segment-aligned big files, a 4-node file.
    const files = [[0], [4, 2], [9], [9, 8, 7, 6], [3], [10, 9], [0], [8, 7], [12], [5, 4, 3, 2], [9, 8], [1]].map((hs) => nodes(...hs));
    for (const [i, ns] of files.entries()) {
      const expected = naive.submit(ns);
      const placed = core.appendSubmission(ns.map((n) => ({ root: hexToBytes(n.root), height: n.height })));
      const { event } = await submit(ns);
      expect(event.startPos, `file ${i}`).toBe(BigInt(expected.startPos));
      expect(placed.startPos).toBe(expected.startPos);
      expect(event.submissionIndex).toBe(BigInt(i));
      const s = Number(event.startPos);
      const size = Number(sectors(ns));
      expect(s % 1024 === 0 || Math.floor(s / 1024) === Math.floor((s + size - 1) / 1024), "in one segment or segment-aligned").toBe(true);
      const [currentLength] = (await view(h, Flow, flowAbi, "tree")) as [bigint, bigint];
      expect(currentLength).toBe(BigInt(naive.length));
      const onChain = await view(h, Flow, flowAbi, "getFlowRootByTxSeq", [BigInt(i)]);
      expect(onChain, `root after file ${i}`).toBe(naive.root());
      expect(bytesToHex(core.root())).toBe(naive.root());
    }
    expect(await view(h, Flow, flowAbi, "numSubmissions")).toBe(BigInt(files.length));
    expect(await view(h, Flow, flowAbi, "rootByTxSeq", [0n])).not.toBe(await view(h, Flow, flowAbi, "rootByTxSeq", [1n]));
  });

  it("starts as the dummy entry only, and batchSubmit (both ABIs) places like consecutive submits", async () => {
    expect(await view(h, Flow, flowAbi, "tree")).toEqual([1n, 1n]);
    expect(await view(h, Flow, flowAbi, "flowRoot")).toBe(`0x${"00".repeat(32)}`);
    const naive = new NaiveFlow();
    const a = nodes(0);
    const b = nodes(5, 3);
    const c = nodes(2);
    const total = sectors(a) + sectors(b) + sectors(c);
    const batchOld = flowAbi.filter((i) => i.type === "function" && i.name === "batchSubmit" && i.inputs[0]?.components?.length === 3);
    const batchNew = flowAbi.filter((i) => i.type === "function" && i.name === "batchSubmit" && i.inputs[0]?.components?.length === 2);
    const call = encodeFunctionData({ abi: batchOld, functionName: "batchSubmit", args: [[data(a), data(b)]] } as never);
    expect((await h.revert(flowAbi, alice, Flow, call, (sectors(a) + sectors(b)) * PRICE - 1n)).errorName).toBe("NotEnoughFee");
    const r1 = await h.call(alice, Flow, call, (sectors(a) + sectors(b)) * PRICE);
    expect(r1.ok).toBe(true);
    const call2 = encodeFunctionData({ abi: batchNew, functionName: "batchSubmit", args: [[{ data: data(c), submitter: bob }]] } as never);
    const r2 = await h.call(alice, Flow, call2, sectors(c) * PRICE);
    expect(r2.ok).toBe(true);
    const starts = [naive.submit(a), naive.submit(b), naive.submit(c)].map((x) => BigInt(x.startPos));
    const [indexes, , startIndexes, lengths] = decodeFunctionResult({
      abi: batchOld,
      functionName: "batchSubmit",
      data: r1.ret,
    } as never) as [bigint[], Hex[], bigint[], bigint[]];
    expect(indexes).toEqual([0n, 1n]);
    expect(startIndexes).toEqual(starts.slice(0, 2));
    expect(lengths).toEqual([sectors(a), sectors(b)]);
    expect(r1.logs.filter((l) => l.topics[0] === SUBMIT_TOPIC)).toHaveLength(2);
    expect(r2.logs.find((l) => l.topics[0] === SUBMIT_TOPIC)?.topics[1]).toBe(encodeAbiParameters([{ type: "address" }], [bob]));
    expect(await view(h, Flow, flowAbi, "flowRoot")).toBe(naive.root());
    expect(await h.balance(StorageReward)).toBe(total * PRICE);
  });

  it("books fees per 8 GiB pricing chunk in proportion to sectors; a chunk's startTime is set when it fills", async () => {
    const reward = (i: bigint) =>
      view(h, StorageReward, storageRewardAbi, "rewards", [i]) as Promise<[bigint, bigint, bigint, number, number]>;
    // 3 sectors in front ([1, 3] after the dummy and a 1-sector file) then [24, 23]: starts at 2^24, its first node
    // ends chunk 0 exactly and the second spills 2^23 sectors into chunk 1.
    await submit(nodes(0));
    h.timestamp += 10n;
    const big = nodes(24, 23);
    const { event } = await submit(big);
    expect(event.startPos).toBe(1n << 24n);
    const fee = sectors(big) * PRICE;
    const padding = (1n << 24n) - 2n;
    const paddingPart = (fee * padding) / (padding + sectors(big));
    const uploadPart = fee - paddingPart;
    const inChunk0 = (uploadPart * (1n << 24n)) / sectors(big);
    const [locked0, , , start0] = await reward(0n);
    const [locked1, , , start1] = await reward(1n);
    expect(locked0).toBe(PRICE + paddingPart + inChunk0);
    expect(locked1).toBe(uploadPart - inChunk0);
    expect(BigInt(start0)).toBe(h.timestamp);
    expect(start1).toBe(0);
    expect(await view(h, StorageReward, storageRewardAbi, "filledChunks")).toBe(1n);
    expect(await view(h, StorageReward, storageRewardAbi, "chunkReward", [1n])).toBe(locked1);
    expect(await h.balance(StorageReward)).toBe(PRICE + fee);
    // Chunk 0 is closed: the market can never book into it again, and only the market can book at all.
    const fill = encodeFunctionData({ abi: storageRewardAbi, functionName: "fillReward", args: [0n, 1n] });
    expect(await h.revert(storageRewardAbi, FixedPrice, StorageReward, fill)).toEqual({ errorName: "ChunkAlreadyFilled", args: [0n] });
    expect(await h.revert(storageRewardAbi, alice, StorageReward, fill, 1n)).toEqual({ errorName: "OnlyMarket", args: [alice] });
    const charge = encodeFunctionData({ abi: fixedPriceAbi, functionName: "chargeFee", args: [1n, 1n, 0n] });
    expect(await h.revert(fixedPriceAbi, alice, FixedPrice, charge, PRICE)).toEqual({ errorName: "OnlyFlow", args: [alice] });
  });

  it("advances epochs with blocks: contexts, NewEpoch, epoch ranges, queryContextAtPosition", async () => {
    const perEpoch = DEVNET_STORAGE_PARAMS.blocksPerEpoch;
    expect(await view(h, Flow, flowAbi, "blocksPerEpoch")).toBe(perEpoch);
    expect(await view(h, Flow, flowAbi, "firstBlock")).toBe(0n);
    expect(await view(h, Flow, flowAbi, "market")).toBe(FixedPrice);
    expect(await view(h, Flow, flowAbi, "getContext")).toEqual({
      epoch: 0n,
      mineStart: 0n,
      flowRoot: `0x${"00".repeat(32)}`,
      flowLength: 1n,
      blockDigest: EMPTY_HASH,
      digest: EMPTY_HASH,
    });
    await submit(nodes(3));
    const rootAfter = await view(h, Flow, flowAbi, "flowRoot");
    h.blockNumber = perEpoch; // next epoch starts after block `perEpoch`
    const same = await h.call(alice, Flow, encodeFunctionData({ abi: flowAbi, functionName: "makeContext" }));
    expect(same.logs).toHaveLength(0);
    h.blockNumber = perEpoch + 1n;
    const r = await h.call(alice, Flow, encodeFunctionData({ abi: flowAbi, functionName: "makeContextWithResult" }));
    expect(r.ok).toBe(true);
    const ctx = decodeFunctionResult({ abi: flowAbi, functionName: "makeContextWithResult", data: r.ret });
    const digest = keccak256(
      encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }], [blockHashOf(perEpoch), rootAfter as Hex, 16n]),
    );
    expect(ctx).toEqual({
      epoch: 1n,
      mineStart: perEpoch,
      flowRoot: rootAfter,
      flowLength: 16n,
      blockDigest: blockHashOf(perEpoch),
      digest,
    });
    const ne = decodeEventLog({ abi: flowAbi, eventName: "NewEpoch", topics: r.logs[0]!.topics as [Hex], data: r.logs[0]!.data }).args;
    expect(ne).toEqual({ sender: alice, index: 1n, startMerkleRoot: rootAfter, submissionIndex: 1n, flowLength: 16n, context: digest });
    expect(await view(h, Flow, flowAbi, "epoch")).toBe(1n);
    expect(await view(h, Flow, flowAbi, "getEpochRange", [digest])).toEqual({ start: 0n, end: 16n });

    // A submission in epoch 1, then 5 epochs later in one go: the old epoch starts are past BLOCKHASH's window.
    await submit(nodes(4));
    h.blockNumber = perEpoch * 7n + 1n;
    expect(perEpoch * 7n + 1n - perEpoch * 2n).toBeGreaterThan(256n);
    const skip = await h.call(alice, Flow, encodeFunctionData({ abi: flowAbi, functionName: "makeContextWithResult" }));
    expect(skip.logs).toHaveLength(6);
    const last = decodeFunctionResult({ abi: flowAbi, functionName: "makeContextWithResult", data: skip.ret });
    expect(last.epoch).toBe(7n);
    expect(last.digest).not.toBe(EMPTY_HASH); // epoch 7 starts at block 7×perEpoch: recent
    const epoch2 = decodeEventLog({ abi: flowAbi, eventName: "NewEpoch", topics: skip.logs[0]!.topics as [Hex], data: skip.logs[0]!.data });
    expect(epoch2.args.context).toBe(EMPTY_HASH);

    const q = async (pos: bigint) => {
      const res = await h.call(alice, Flow, encodeFunctionData({ abi: flowAbi, functionName: "queryContextAtPosition", args: [pos] }));
      return res.ok ? decodeFunctionResult({ abi: flowAbi, functionName: "queryContextAtPosition", data: res.ret }) : res.ret;
    };
    expect(await q(5n)).toEqual({ start: 0n, end: 16n, digest });
    // Epoch 2 (start block 2×perEpoch, too old) got no range; epoch 3 is the first to cover what came after 16.
    const epoch3 = decodeEventLog({ abi: flowAbi, eventName: "NewEpoch", topics: skip.logs[1]!.topics as [Hex], data: skip.logs[1]!.data });
    expect(epoch3.args.context).not.toBe(EMPTY_HASH);
    expect(await q(20n)).toEqual({ start: 16n, end: 32n, digest: epoch3.args.context });
    expect(
      (await h.revert(flowAbi, alice, Flow, encodeFunctionData({ abi: flowAbi, functionName: "queryContextAtPosition", args: [32n] })))
        .errorName,
    ).toBe("PositionOutOfRange");
  });

  it("refuses submissions before firstBlock", async () => {
    const later = await StorageHarness.create(
      { ...DEVNET_STORAGE_PARAMS, firstBlock: 100n },
      {
        Flow: "0x0000000000000000000000000000000000006000",
        FixedPrice: "0x0000000000000000000000000000000000006001",
        StorageReward: "0x0000000000000000000000000000000000006002",
      },
    );
    await later.fund(alice, 10n ** 20n);
    expect(await later.revert(flowAbi, alice, later.addresses.Flow, encOld(data(nodes(0))), PRICE)).toEqual({
      errorName: "NotLaunched",
      args: [100n],
    });
    later.blockNumber = 100n;
    expect((await later.call(alice, later.addresses.Flow, encOld(data(nodes(0))), PRICE)).ok).toBe(true);
    expect(storageGenesisDeployments().map((d) => d.address)).toEqual(Object.values(STORAGE_SYSTEM_CONTRACTS));
    expect(ZERO[0]).toBe("0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5");
  });
});
