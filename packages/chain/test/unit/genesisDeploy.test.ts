import { contracts, flowAbi, STORAGE_SYSTEM_CONTRACTS, storageGenesisDeployments } from "@zerog/contracts";
import { bytesToHex, createSilentLogger, hexToBytes, MemoryStore, privateKeyToAddressBytes } from "@zerog/core";
import { decodeEventLog, encodeFunctionData, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { ChainErrorCode } from "../../src/errors.js";
import { listCandidates } from "../../src/execution/engine.js";
import { Execution } from "../../src/execution/execution.js";
import { genesisToJSON, parseGenesis } from "../../src/execution/genesis.js";
import { deployGenesisContract, deployGenesisContracts } from "../../src/execution/genesisDeploy.js";
import { signTx } from "../../src/tx/transaction.js";

const key = hexToBytes(`0x${"11".repeat(32)}`);
const sender = privateKeyToAddressBytes(key);
const SUBMIT_TOPIC = "0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555";
const PRICE = 30_733_644_962n;

describe("deployGenesisContracts", () => {
  it("runs the storage constructors at their fixed addresses: code with immutables, storage, nonce 1", async () => {
    const alloc = await deployGenesisContracts(storageGenesisDeployments());
    expect([...alloc.keys()]).toEqual(Object.values(STORAGE_SYSTEM_CONTRACTS));
    const flow = alloc.get(STORAGE_SYSTEM_CONTRACTS.Flow)!;
    expect(flow.nonce).toBe(1n);
    expect(flow.code!.length).toBe((contracts.Flow.deployedBytecode.length - 2) / 2);
    // The immutable `market` is filled in: the FixedPrice address appears in the code.
    expect(bytesToHex(flow.code!)).toContain(STORAGE_SYSTEM_CONTRACTS.FixedPrice.slice(2));
    // Constructor state: flow length 1 and the initial mining context (EMPTY_HASH digests) are in storage.
    const values = [...flow.storage!.values()].map((v) => bytesToHex(v));
    expect(values).toContain("0x01");
    expect(values).toContain(keccak256(new Uint8Array(0)));
    // Same input, same output: genesis is deterministic.
    const again = await deployGenesisContract({
      address: STORAGE_SYSTEM_CONTRACTS.Flow,
      initCode: storageGenesisDeployments()[0]!.initCode,
    });
    expect(bytesToHex(again.code)).toBe(bytesToHex(flow.code!));
    expect([...again.storage].map(([k, v]) => [k, bytesToHex(v)])).toEqual([...flow.storage!].map(([k, v]) => [k, bytesToHex(v)]));
  });

  it("refuses a constructor that reverts", async () => {
    // PUSH1 0 PUSH1 0 REVERT
    const failing = deployGenesisContracts([{ address: "0x0000000000000000000000000000000000007000", initCode: "0x60006000fd" }]);
    await expect(failing).rejects.toMatchObject({ code: ChainErrorCode.GENESIS_INVALID });
  });

  it("a genesis with them executes submissions in the chain's executor (1 and 4 nodes)", async () => {
    const deployed = await deployGenesisContracts(storageGenesisDeployments());
    const alloc: Record<string, unknown> = { [bytesToHex(sender)]: { balance: (10n ** 24n).toString() } };
    const systemContracts: Record<string, string> = {};
    for (const [name, address] of Object.entries(STORAGE_SYSTEM_CONTRACTS)) {
      const acc = deployed.get(address)!;
      alloc[address] = {
        nonce: "0x1",
        code: bytesToHex(acc.code!),
        storage: Object.fromEntries([...acc.storage!].map(([k, v]) => [k, bytesToHex(v)])),
      };
      systemContracts[name] = address;
    }
    const genesis = parseGenesis({ chainId: 31337, timestamp: 1_700_000_000, alloc, systemContracts });
    // Round trip through JSON, as `zg genesis init` writes it.
    const reparsed = parseGenesis(JSON.parse(JSON.stringify(genesisToJSON(genesis))));
    expect(Object.fromEntries(reparsed.systemContracts)).toEqual(STORAGE_SYSTEM_CONTRACTS);
    const ex = new Execution({}, { db: new MemoryStore(), genesis: reparsed, logger: createSilentLogger(), metrics: null });
    await ex.init();

    const node = (i: number, height: bigint) => ({ root: keccak256(toHex(`n${i}`)), height });
    const submissions = [
      { length: 100n, tags: "0x" as Hex, nodes: [node(0, 0n)] },
      { length: (1024n + 512n + 256n + 128n) * 256n, tags: "0x" as Hex, nodes: [node(1, 10n), node(2, 9n), node(3, 8n), node(4, 7n)] },
    ];
    const submitTx = (s: (typeof submissions)[number], nonce: number) =>
      signTx(
        {
          type: 2,
          chainId: 31337n,
          nonce: BigInt(nonce),
          maxPriorityFeePerGas: 1n,
          maxFeePerGas: 10n ** 10n,
          gasLimit: 1_000_000n,
          to: hexToBytes(STORAGE_SYSTEM_CONTRACTS.Flow),
          value: s.nodes.reduce((a, n) => a + (1n << n.height), 0n) * PRICE,
          data: hexToBytes(encodeFunctionData({ abi: flowAbi, functionName: "submit", args: [s] })),
          accessList: [],
        },
        key,
      );
    const txs = submissions.map(submitTx);
    const { block, rejected } = await ex.prepareProposal({
      height: 1n,
      timestamp: 1_700_000_001n,
      proposer: new Uint8Array(20),
      candidates: listCandidates(txs),
    });
    expect(rejected).toEqual([]);
    const { receipts } = await ex.finalizeBlock(block);
    expect(receipts.map((r) => r.status)).toEqual([1, 1]);
    const events = receipts.map((r) => {
      const log = r.logs.find((l) => bytesToHex(l[1][0]!) === SUBMIT_TOPIC)!;
      return decodeEventLog({
        abi: flowAbi,
        eventName: "Submit",
        topics: log[1].map((t) => bytesToHex(t)) as [Hex],
        data: bytesToHex(log[2]),
      }).args;
    });
    expect(events.map((e) => [e.submissionIndex, e.startPos, e.length])).toEqual([
      [0n, 1n, 1n],
      [1n, 1024n, 1920n],
    ]);
    await ex.commit();
    // The same again once the flow's storage slots exist (the first submissions pay for creating them).
    const next = await ex.prepareProposal({
      height: 2n,
      timestamp: 1_700_000_002n,
      proposer: new Uint8Array(20),
      candidates: listCandidates(
        submissions.map((s, i) => submitTx({ ...s, nodes: s.nodes.map((n) => ({ ...n, root: keccak256(n.root) })) }, i + 2)),
      ),
    });
    const { receipts: later } = await ex.finalizeBlock(next.block);
    expect(later.map((r) => r.status)).toEqual([1, 1]);
    // Whole transactions, intrinsic cost included: first use, then steady state.
    const [one, four] = receipts.map((r) => r.gasUsed);
    const [oneLater, fourLater] = later.map((r) => r.gasUsed);
    expect(one).toBeLessThan(300_000n);
    expect(four).toBeLessThan(400_000n);
    expect(oneLater).toBeLessThan(one!);
    console.info(`submit gas: 1 node ${one} then ${oneLater}; 4 nodes ${four} then ${fourLater}`);
  });
});
