/**
 * viem against a real `zg node`: contract deployment and calls with type-2 transactions whose fees
 * viem derives from the node (base fee, eth_maxPriorityFeePerGas), logs by query, polling filter and
 * WebSocket subscription (logs, newHeads), revert reasons and custom errors as viem decodes them (for
 * calls, gas estimates and a mined failing transaction), and eth_getProof checked against the block's
 * state root with an independent Merkle-Patricia verifier (@ethereumjs/mpt).
 */
import { verifyMerkleProof } from "@ethereumjs/mpt";
import { contracts } from "@zerog/contracts";
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  fromRlp,
  type Hex,
  hexToBytes,
  http,
  keccak256,
  numberToHex,
  pad,
  parseAbiItem,
  parseGwei,
  toRlp,
  webSocket,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, CHAIN_ID } from "./helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "./helpers/node.js";
import { condition, until } from "./helpers/rpc.js";

useE2ECleanup();

const { TestToken, TestEvents } = contracts;
/** viem types only non-view functions for gas estimates and writes; these tests estimate and send view and pure ones on purpose. */
const eventsAbiAny: Abi = TestEvents.abi;
const deployer = privateKeyToAccount(account(0).privateKey);
const alice = account(1).address;
const bob = account(2).address;
const SUPPLY = 1_000_000n * 10n ** 18n;

let node: TestNode;
let token: Address;
let events: Address;
let tokenDeployBlock: bigint;

function clients(n: TestNode) {
  const chain = defineChain({
    id: CHAIN_ID,
    name: "zerog e2e",
    nativeCurrency: { name: "ZG", symbol: "ZG", decimals: 18 },
    rpcUrls: { default: { http: [n.url], webSocket: [n.wsUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(n.url), pollingInterval: 50 });
  const wallet = createWalletClient({ account: deployer, chain, transport: http(n.url), pollingInterval: 50 });
  return { chain, publicClient, wallet };
}
let c: ReturnType<typeof clients>;

/** The decoded revert of a viem error, or a failure naming what was thrown instead. */
function revertOf(e: unknown): ContractFunctionRevertedError {
  if (!(e instanceof BaseError)) throw new Error(`not a viem error: ${String(e)}`);
  const revert = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (!(revert instanceof ContractFunctionRevertedError)) throw new Error(`no ContractFunctionRevertedError in: ${e.message}`);
  return revert;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

beforeAll(async () => {
  node = await startNode({ name: "viem node" });
  c = clients(node);
});

afterAll(async () => {
  await node?.stop();
});

describe("viem", () => {
  it("deploys with type-2 transactions whose fees come from the node's base fee and eth_maxPriorityFeePerGas", async () => {
    const { publicClient, wallet } = c;
    // A mined 3 gwei tip moves the node's tip suggestion off its 1 gwei default, so the check below
    // tells the node's answer apart from a client-side fallback.
    const warmup = await wallet.sendTransaction({
      to: bob,
      value: 1n,
      maxFeePerGas: parseGwei("20"),
      maxPriorityFeePerGas: parseGwei("3"),
    });
    expect((await publicClient.waitForTransactionReceipt({ hash: warmup })).status).toBe("success");
    const suggestedTip = BigInt(await node.call<string>("eth_maxPriorityFeePerGas"));
    expect(suggestedTip).toBe(parseGwei("3"));
    const baseFee = (await publicClient.getBlock()).baseFeePerGas!;
    expect(baseFee).toBeGreaterThan(0n);

    const hash = await wallet.deployContract({ abi: TestToken.abi, bytecode: TestToken.bytecode, args: ["Test Token", "TT", SUPPLY] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(receipt.contractAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
    token = receipt.contractAddress!;
    tokenDeployBlock = receipt.blockNumber;

    const tx = await publicClient.getTransaction({ hash });
    expect(tx.type).toBe("eip1559");
    expect(tx.chainId).toBe(CHAIN_ID);
    expect(tx.maxPriorityFeePerGas).toBe(suggestedTip);
    // viem: maxFeePerGas = latest base fee × 1.2 + tip.
    expect(tx.maxFeePerGas).toBe((baseFee * 12n) / 10n + suggestedTip);
    const blockBaseFee = (await publicClient.getBlock({ blockNumber: receipt.blockNumber })).baseFeePerGas!;
    const capped = blockBaseFee + suggestedTip < tx.maxFeePerGas! ? blockBaseFee + suggestedTip : tx.maxFeePerGas!;
    expect(receipt.effectiveGasPrice).toBe(capped);
    // The artifact's runtime code has zeros where the constructor fills the `owner` immutable (PUSH32).
    const immutableSlot = `7f${"0".repeat(64)}`;
    const owner = `7f${deployer.address.slice(2).toLowerCase().padStart(64, "0")}`;
    expect(await publicClient.getCode({ address: token })).toBe(TestToken.deployedBytecode.replaceAll(immutableSlot, owner));

    const evHash = await wallet.deployContract({ abi: TestEvents.abi, bytecode: TestEvents.bytecode });
    const evReceipt = await publicClient.waitForTransactionReceipt({ hash: evHash });
    expect(evReceipt.status).toBe("success");
    events = evReceipt.contractAddress!;
  });

  it("transfers tokens and reads balances", async () => {
    const { publicClient, wallet } = c;
    const hash = await wallet.writeContract({ address: token, abi: TestToken.abi, functionName: "transfer", args: [alice, 1234n] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(receipt.logs).toHaveLength(1);
    expect(await publicClient.readContract({ address: token, abi: TestToken.abi, functionName: "balanceOf", args: [alice] })).toBe(1234n);
    expect(
      await publicClient.readContract({ address: token, abi: TestToken.abi, functionName: "balanceOf", args: [deployer.address] }),
    ).toBe(SUPPLY - 1234n);
  });

  it("finds Transfer events with getLogs and getContractEvents", async () => {
    const { publicClient } = c;
    const transfer = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");
    const logs = await publicClient.getLogs({ address: token, event: transfer, fromBlock: tokenDeployBlock, toBlock: "latest" });
    expect(logs.map((l) => l.args)).toEqual([
      { from: "0x0000000000000000000000000000000000000000", to: deployer.address, value: SUPPLY },
      { from: deployer.address, to: alice, value: 1234n },
    ]);
    const toAlice = await publicClient.getContractEvents({
      address: token,
      abi: TestToken.abi,
      eventName: "Transfer",
      args: { to: alice },
      fromBlock: tokenDeployBlock,
    });
    expect(toAlice).toHaveLength(1);
    expect(toAlice[0]!.args).toEqual({ from: deployer.address, to: alice, value: 1234n });
    expect(toAlice[0]!.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("delivers new Transfer logs to a contract event filter (eth_newFilter + eth_getFilterChanges)", async () => {
    const { publicClient, wallet } = c;
    const filter = await publicClient.createContractEventFilter({ address: token, abi: TestToken.abi, eventName: "Transfer" });
    const hash = await wallet.writeContract({ address: token, abi: TestToken.abi, functionName: "transfer", args: [bob, 5n] });
    await publicClient.waitForTransactionReceipt({ hash });
    const changes = await publicClient.getFilterChanges({ filter });
    expect(changes.map((l) => [l.transactionHash, l.args])).toEqual([[hash, { from: deployer.address, to: bob, value: 5n }]]);
    // Nothing new since the last poll.
    expect(await publicClient.getFilterChanges({ filter })).toEqual([]);
    expect(await publicClient.uninstallFilter({ filter })).toBe(true);
  });

  it("streams logs (watchContractEvent) and new heads (watchBlocks) over a WebSocket", async () => {
    const { chain, wallet, publicClient } = c;
    const ws = createPublicClient({ chain, transport: webSocket(node.wsUrl, { reconnect: false, keepAlive: false, retryCount: 0 }) });
    const heads: { number: bigint; hash: Hex; parentHash: Hex }[] = [];
    const seen: Hex[] = [];
    const sent: Hex[] = [];
    const errors: Error[] = [];
    let onEvent = () => {};
    const unwatchBlocks = ws.watchBlocks({
      poll: false,
      onBlock: (b) => {
        heads.push({ number: b.number, hash: b.hash, parentHash: b.parentHash });
        onEvent();
      },
      onError: (e) => errors.push(e),
    });
    const unwatchEvents = ws.watchContractEvent({
      address: token,
      abi: TestToken.abi,
      eventName: "Transfer",
      poll: false,
      onLogs: (logs) => {
        for (const l of logs) seen.push(l.transactionHash);
        onEvent();
      },
      onError: (e) => errors.push(e),
    });
    const transfer = async (amount: bigint) => {
      const hash = await wallet.writeContract({ address: token, abi: TestToken.abi, functionName: "transfer", args: [alice, amount] });
      sent.push(hash);
      await publicClient.waitForTransactionReceipt({ hash });
    };
    try {
      // viem opens the subscriptions asynchronously: transfer until the first log arrives; after that, none may be missed.
      await until("the logs subscription to deliver a first Transfer", async () => {
        await transfer(1n);
        return seen.length > 0 ? true : undefined;
      });
      const expected = sent.length + 2;
      const done = condition("two more transfers by subscription and two new heads", () =>
        sent.length === expected && sent.slice(-2).every((h) => seen.includes(h)) && heads.length >= 2 ? true : undefined,
      );
      onEvent = done.poke;
      await transfer(7n);
      await transfer(8n);
      done.poke();
      await done.promise;
      expect(errors).toEqual([]);
      // In order, without gaps or repeats, from the first delivered one on.
      expect(seen).toEqual(sent.slice(sent.length - seen.length));
      for (let i = 1; i < heads.length; i++) {
        expect(heads[i]!.number).toBe(heads[i - 1]!.number + 1n);
        expect(heads[i]!.parentHash).toBe(heads[i - 1]!.hash);
      }
      const last = heads[heads.length - 1]!;
      expect((await publicClient.getBlock({ blockNumber: last.number })).hash).toBe(last.hash);
    } finally {
      unwatchEvents();
      unwatchBlocks();
      (await ws.transport.getRpcClient()).close();
    }
  });

  it("decodes revert reasons, custom errors and panics of calls and gas estimates", async () => {
    const { publicClient } = c;
    const reasonErr = await rejection(
      publicClient.readContract({ address: events, abi: TestEvents.abi, functionName: "revertWithReason", args: ["boom: nothing to see"] }),
    );
    expect((reasonErr as Error).message).toContain("boom: nothing to see");
    expect(revertOf(reasonErr).reason).toBe("boom: nothing to see");

    const estimateErr = await rejection(
      publicClient.estimateContractGas({
        address: events,
        abi: eventsAbiAny,
        functionName: "revertIfGreater",
        args: [1000n],
        account: deployer,
      }),
    );
    expect((estimateErr as Error).message).toContain("x exceeds value");
    expect(revertOf(estimateErr).reason).toBe("TestEvents: x exceeds value");
    // The same call within bounds estimates fine.
    expect(
      await publicClient.estimateContractGas({
        address: events,
        abi: eventsAbiAny,
        functionName: "revertIfGreater",
        args: [0n],
        account: deployer,
      }),
    ).toBeGreaterThan(21_000n);

    const custom = revertOf(
      await rejection(publicClient.readContract({ address: events, abi: TestEvents.abi, functionName: "revertWithCustom", args: [7n] })),
    );
    expect(custom.data?.errorName).toBe("Custom");
    expect(custom.data?.args).toEqual([7n, "custom error"]);

    const tokenErr = revertOf(
      await rejection(
        publicClient.simulateContract({
          address: token,
          abi: TestToken.abi,
          functionName: "transfer",
          args: [alice, 1n],
          account: account(5).address,
        }),
      ),
    );
    expect(tokenErr.data?.errorName).toBe("InsufficientBalance");
    expect(tokenErr.data?.args).toEqual([account(5).address, 0n, 1n]);

    const panic = revertOf(
      await rejection(publicClient.readContract({ address: events, abi: TestEvents.abi, functionName: "panicDivByZero", args: [1n] })),
    );
    expect(panic.data?.errorName).toBe("Panic");
    expect(panic.data?.args).toEqual([0x12n]);
  });

  it("mines a failing transaction (status reverted) whose reason a call at that block shows", async () => {
    const { publicClient, wallet } = c;
    // An explicit gas limit skips estimation, so the node takes and mines the doomed transaction.
    const hash = await wallet.writeContract({
      address: events,
      abi: eventsAbiAny,
      functionName: "revertWithReason",
      args: ["mined and reverted"],
      gas: 100_000n,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("reverted");
    expect(receipt.gasUsed).toBeGreaterThan(21_000n);
    expect(receipt.gasUsed).toBeLessThan(100_000n);
    expect(receipt.logs).toEqual([]);

    // Replaying it as a call on the block's state gives the reason.
    const tx = await publicClient.getTransaction({ hash });
    const callErr = await rejection(publicClient.call({ account: tx.from, to: tx.to!, data: tx.input, blockNumber: receipt.blockNumber }));
    expect((callErr as Error).message).toContain("mined and reverted");
    const sim = revertOf(
      await rejection(
        publicClient.simulateContract({
          address: events,
          abi: eventsAbiAny,
          functionName: "revertWithReason",
          args: ["mined and reverted"],
          account: deployer.address,
          blockNumber: receipt.blockNumber,
        }),
      ),
    );
    expect(sim.reason).toBe("mined and reverted");

    // A state-dependent failure: a token transfer beyond the sender's balance, decoded as a custom error at the parent block.
    const poor = createWalletClient({ account: privateKeyToAccount(account(6).privateKey), chain: c.chain, transport: http(node.url) });
    const data = encodeFunctionData({ abi: TestToken.abi, functionName: "transfer", args: [alice, 10n] });
    const failHash = await poor.sendTransaction({ to: token, data, gas: 100_000n });
    const failReceipt = await publicClient.waitForTransactionReceipt({ hash: failHash });
    expect(failReceipt.status).toBe("reverted");
    const replay = revertOf(
      await rejection(
        publicClient.simulateContract({
          address: token,
          abi: TestToken.abi,
          functionName: "transfer",
          args: [alice, 10n],
          account: account(6).address,
          blockNumber: failReceipt.blockNumber - 1n,
        }),
      ),
    );
    expect(replay.data?.errorName).toBe("InsufficientBalance");
    expect(replay.data?.args).toEqual([account(6).address, 0n, 10n]);
  });

  it("serves eth_getProof that an independent MPT verifier accepts against the block's state root", async () => {
    const { publicClient, wallet } = c;
    const hash = await wallet.writeContract({ address: events, abi: TestEvents.abi, functionName: "setValue", args: [42n] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const slot0 = pad("0x0", { size: 32 });
    const emptySlot = pad("0x1234", { size: 32 });
    const proof = await publicClient.getProof({ address: events, storageKeys: [slot0, emptySlot], blockNumber: receipt.blockNumber });

    const stateRoot = hexToBytes(block.stateRoot);
    const accountLeaf = await verifyMerkleProof(
      hexToBytes(keccak256(events)),
      proof.accountProof.map((n) => hexToBytes(n)),
      {
        root: stateRoot,
      },
    );
    expect(accountLeaf).not.toBeNull();
    const quantity = (n: bigint | number): Hex => (BigInt(n) === 0n ? "0x" : numberToHex(n));
    const expectedLeaf = toRlp([quantity(proof.nonce), quantity(proof.balance), proof.storageHash, proof.codeHash]);
    expect(toHex(accountLeaf!)).toBe(expectedLeaf);
    expect(proof.nonce).toBe(1); // EIP-161: contracts start at nonce 1
    expect(proof.codeHash).toBe(keccak256((await publicClient.getCode({ address: events, blockNumber: receipt.blockNumber }))!));

    const [valueProof, emptyProof] = proof.storageProof;
    expect(valueProof!.value).toBe(42n);
    const stored = await verifyMerkleProof(
      hexToBytes(keccak256(slot0)),
      valueProof!.proof.map((n) => hexToBytes(n)),
      {
        root: hexToBytes(proof.storageHash),
      },
    );
    expect(stored).not.toBeNull();
    expect(fromRlp(toHex(stored!), "hex")).toBe(numberToHex(42n));
    // A slot never written: a valid proof of absence.
    expect(emptyProof!.value).toBe(0n);
    const absent = await verifyMerkleProof(
      hexToBytes(keccak256(emptySlot)),
      emptyProof!.proof.map((n) => hexToBytes(n)),
      {
        root: hexToBytes(proof.storageHash),
      },
    );
    expect(absent).toBeNull();

    // An externally owned account, and the verifier is not vacuous: the parent block's root rejects the proof.
    const eoa = await publicClient.getProof({ address: deployer.address, storageKeys: [], blockNumber: receipt.blockNumber });
    const eoaLeaf = await verifyMerkleProof(
      hexToBytes(keccak256(deployer.address)),
      eoa.accountProof.map((n) => hexToBytes(n)),
      {
        root: stateRoot,
      },
    );
    expect(toHex(eoaLeaf!)).toBe(toRlp([quantity(eoa.nonce), quantity(eoa.balance), eoa.storageHash, eoa.codeHash]));
    expect(eoa.balance).toBe(await publicClient.getBalance({ address: deployer.address, blockNumber: receipt.blockNumber }));
    expect(eoa.codeHash).toBe(keccak256("0x"));
    const parent = await publicClient.getBlock({ blockNumber: receipt.blockNumber - 1n });
    expect(parent.stateRoot).not.toBe(block.stateRoot);
    await expect(
      verifyMerkleProof(
        hexToBytes(keccak256(deployer.address)),
        eoa.accountProof.map((n) => hexToBytes(n)),
        {
          root: hexToBytes(parent.stateRoot),
        },
      ),
    ).rejects.toThrow();
  });
});

function toHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b).toString("hex")}`;
}
