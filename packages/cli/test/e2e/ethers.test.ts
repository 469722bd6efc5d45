/**
 * ethers v6 against a real `zg node`: ContractFactory deployment, token transfer and balance, event
 * queries (queryFilter), fee data (maxFeePerGas = 2 × base fee + eth_maxPriorityFeePerGas), WebSocket
 * subscriptions (contract.on("Transfer"), provider.on("block")), and revert reasons in CALL_EXCEPTION
 * errors for a call, a gas estimate and a mined failing transaction.
 */
import { contracts } from "@zerog/contracts";
import {
  type Contract,
  ContractFactory,
  type ContractTransactionResponse,
  type EventLog,
  isError,
  JsonRpcProvider,
  Network,
  parseUnits,
  Wallet,
  WebSocketProvider,
} from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, CHAIN_ID } from "./helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "./helpers/node.js";
import { condition } from "./helpers/rpc.js";

useE2ECleanup();

const { TestToken, TestEvents } = contracts;
const SUPPLY = 1_000_000n * 10n ** 18n;
const alice = account(1).address;
const bob = account(2).address;

let node: TestNode;
let provider: JsonRpcProvider;
let wallet: Wallet;
let token: Contract;
let events: Contract;
let deployBlock: number;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

beforeAll(async () => {
  node = await startNode({ name: "ethers node" });
  const network = new Network("zerog-e2e", CHAIN_ID);
  provider = new JsonRpcProvider(node.url, network, { staticNetwork: network, pollingInterval: 50, cacheTimeout: -1 });
  wallet = new Wallet(account(0).privateKey, provider);
});

afterAll(async () => {
  provider?.destroy();
  await node?.stop();
});

describe("ethers v6", () => {
  it("reports fee data from the node: maxFeePerGas = 2 × base fee + eth_maxPriorityFeePerGas", async () => {
    // A mined 2 gwei tip moves the node's suggestion off its 1 gwei default (which is also ethers' fallback).
    const warmup = await wallet.sendTransaction({
      to: bob,
      value: 1n,
      maxFeePerGas: parseUnits("20", "gwei"),
      maxPriorityFeePerGas: parseUnits("2", "gwei"),
    });
    expect((await warmup.wait())?.status).toBe(1);
    const suggested = BigInt(await node.call<string>("eth_maxPriorityFeePerGas"));
    expect(suggested).toBe(parseUnits("2", "gwei"));
    const fee = await provider.getFeeData();
    const baseFee = (await provider.getBlock("latest"))!.baseFeePerGas!;
    expect(fee.maxPriorityFeePerGas).toBe(suggested);
    expect(fee.maxFeePerGas).toBe(2n * baseFee + suggested);
    expect(fee.gasPrice).toBe(BigInt(await node.call<string>("eth_gasPrice")));
  });

  it("deploys with ContractFactory, transfers and reads the balance", async () => {
    const factory = new ContractFactory(TestToken.abi, TestToken.bytecode, wallet);
    token = (await factory.deploy("Test Token", "TT", SUPPLY)) as Contract;
    await token.waitForDeployment();
    const deployTx = token.deploymentTransaction()!;
    const deployReceipt = (await deployTx.wait())!;
    expect(deployReceipt.status).toBe(1);
    expect(deployTx.type).toBe(2);
    deployBlock = deployReceipt.blockNumber;
    expect(await token.getAddress()).toBe(deployReceipt.contractAddress);
    expect(await token.getFunction("name")()).toBe("Test Token");

    const tx = (await token.getFunction("transfer")(alice, 1000n)) as ContractTransactionResponse;
    const receipt = (await tx.wait())!;
    expect(receipt.status).toBe(1);
    expect(receipt.logs).toHaveLength(1);
    expect(await token.getFunction("balanceOf")(alice)).toBe(1000n);
    expect(await token.getFunction("balanceOf")(wallet.address)).toBe(SUPPLY - 1000n);

    const evFactory = new ContractFactory(TestEvents.abi, TestEvents.bytecode, wallet);
    events = (await evFactory.deploy()) as Contract;
    await events.waitForDeployment();
  });

  it("finds Transfer events with queryFilter", async () => {
    const all = (await token.queryFilter(token.filters.Transfer!(), deployBlock, "latest")) as EventLog[];
    expect(all.map((e) => [e.eventName, ...e.args])).toEqual([
      ["Transfer", "0x0000000000000000000000000000000000000000", wallet.address, SUPPLY],
      ["Transfer", wallet.address, alice, 1000n],
    ]);
    const toAlice = (await token.queryFilter(token.filters.Transfer!(null, alice), deployBlock)) as EventLog[];
    expect(toAlice).toHaveLength(1);
    expect(toAlice[0]!.args.getValue("value")).toBe(1000n);
  });

  it("streams Transfer events (contract.on) and blocks (provider.on) over a WebSocketProvider", async () => {
    const ws = new WebSocketProvider(node.wsUrl, new Network("zerog-e2e", CHAIN_ID), { staticNetwork: true });
    try {
      const wsToken = token.connect(ws) as Contract;
      const transfers: { hash: string; value: bigint }[] = [];
      const blocks: number[] = [];
      let poke = () => {};
      await wsToken.on("Transfer", (_from: string, _to: string, value: bigint, ev: { log: { transactionHash: string } }) => {
        transfers.push({ hash: ev.log.transactionHash, value });
        poke();
      });
      await ws.on("block", (n: number) => {
        blocks.push(n);
        poke();
      });
      // ethers subscribes in the background: send until the first event arrives, then none may be missed.
      const sent: string[] = [];
      const send = async (value: bigint) => {
        const tx = (await token.getFunction("transfer")(bob, value)) as ContractTransactionResponse;
        sent.push(tx.hash);
        await tx.wait();
      };
      for (let i = 0; transfers.length === 0; i++) {
        if (i === 50) throw new Error("no Transfer event arrived over the WebSocket after 50 transfers");
        await send(1n);
      }
      const want = sent.length + 2;
      const done = condition("two more Transfer events and two blocks", () =>
        sent.length === want && sent.slice(-2).every((h) => transfers.some((t) => t.hash === h)) && blocks.length >= 2 ? true : undefined,
      );
      poke = done.poke;
      await send(11n);
      await send(12n);
      done.poke();
      await done.promise;
      const hashes = transfers.map((t) => t.hash);
      expect(hashes).toEqual(sent.slice(sent.length - hashes.length));
      expect(transfers.slice(-2).map((t) => t.value)).toEqual([11n, 12n]);
      for (let i = 1; i < blocks.length; i++) expect(blocks[i]).toBeGreaterThan(blocks[i - 1]!);
      await wsToken.removeAllListeners();
    } finally {
      await ws.destroy();
    }
  });

  it("puts revert reasons and custom errors in CALL_EXCEPTION for calls and gas estimates", async () => {
    const callErr = await rejection(events.getFunction("revertWithReason").staticCall("ethers: call says no"));
    expect(isError(callErr, "CALL_EXCEPTION")).toBe(true);
    if (!isError(callErr, "CALL_EXCEPTION")) return;
    expect(callErr.reason).toBe("ethers: call says no");
    expect(callErr.revert?.name).toBe("Error");
    expect(callErr.revert?.args).toEqual(["ethers: call says no"]);

    const estimateErr = await rejection(events.getFunction("revertIfGreater").estimateGas(5n));
    expect(isError(estimateErr, "CALL_EXCEPTION")).toBe(true);
    if (!isError(estimateErr, "CALL_EXCEPTION")) return;
    expect(estimateErr.reason).toBe("TestEvents: x exceeds value");

    const customErr = await rejection(events.getFunction("revertWithCustom").staticCall(99n));
    expect(isError(customErr, "CALL_EXCEPTION")).toBe(true);
    if (!isError(customErr, "CALL_EXCEPTION")) return;
    expect(customErr.revert?.name).toBe("Custom");
    expect(customErr.revert?.signature).toBe("Custom(uint256,string)");
    expect([...(customErr.revert?.args ?? [])]).toEqual([99n, "custom error"]);

    // Sending without a gas limit estimates first and fails the same way, before anything is mined.
    const nonce = await provider.getTransactionCount(wallet.address);
    const tokenErr = await rejection(token.getFunction("transfer").send(alice, SUPPLY * 2n));
    expect(isError(tokenErr, "CALL_EXCEPTION")).toBe(true);
    if (!isError(tokenErr, "CALL_EXCEPTION")) return;
    // Outside staticCall ethers decodes only Error/Panic itself; the revert data is there for the ABI.
    expect(tokenErr.data).toMatch(/^0x[0-9a-f]+$/);
    const decoded = token.interface.parseError(tokenErr.data!);
    expect(decoded?.name).toBe("InsufficientBalance");
    const balance = (await token.getFunction("balanceOf")(wallet.address)) as bigint;
    expect([...(decoded?.args ?? [])]).toEqual([wallet.address, balance, SUPPLY * 2n]);
    expect(await provider.getTransactionCount(wallet.address)).toBe(nonce);
  });

  it("rejects wait() of a mined failing transaction with CALL_EXCEPTION and receipt status 0", async () => {
    // revertWithReason is pure, so send() explicitly; the gas limit skips the estimate that would refuse it.
    const tx = await events.getFunction("revertWithReason").send("ethers: mined failure", { gasLimit: 100_000n });
    const err = await rejection(tx.wait());
    expect(isError(err, "CALL_EXCEPTION")).toBe(true);
    if (!isError(err, "CALL_EXCEPTION")) return;
    expect(err.receipt?.status).toBe(0);
    expect(err.receipt?.hash).toBe(tx.hash);
    const receipt = (await provider.getTransactionReceipt(tx.hash))!;
    expect(receipt.status).toBe(0);
    expect(receipt.gasUsed).toBeLessThan(100_000n);
    // Replaying it as a call at its block gives the reason.
    const replay = await rejection(provider.call({ from: tx.from, to: tx.to, data: tx.data, blockTag: receipt.blockNumber }));
    expect(isError(replay, "CALL_EXCEPTION")).toBe(true);
    if (!isError(replay, "CALL_EXCEPTION")) return;
    expect(replay.reason).toBe("ethers: mined failure");
  });
});
