import { contracts } from "@zerog/contracts";
import { bytesToHex, EMPTY_TRIE_ROOT, hexToBytes, keccak256, verifyTrieProof } from "@zerog/core";
import { createPublicClient, decodeFunctionResult, encodeDeployData, encodeFunctionData, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeAccount } from "../../src/state/account.js";
import { ADDRESSES, type ChainHarness, startChainHarness } from "../utils/chainHarness.js";

let h: ChainHarness;
let token: `0x${string}`;
let events: `0x${string}`;

beforeAll(async () => {
  h = await startChainHarness();
  const deployToken = h.sign(0, {
    data: hexToBytes(
      encodeDeployData({ abi: contracts.TestToken.abi, bytecode: contracts.TestToken.bytecode, args: ["Tok", "TOK", 10n ** 24n] }),
    ),
    gasLimit: 3_000_000n,
  });
  const deployEvents = h.sign(0, { data: hexToBytes(contracts.TestEvents.bytecode), gasLimit: 3_000_000n });
  await h.mine([deployToken, deployEvents]);
  const rcpt = (hash: Uint8Array) =>
    h.execution.store.receipts(1n)!.find((_, i) => bytesToHex(h.execution.head.txHashes[i]!) === bytesToHex(hash))!;
  token = bytesToHex(rcpt(deployToken.hash).contractAddress!);
  events = bytesToHex(rcpt(deployEvents.hash).contractAddress!);
});
afterAll(async () => h?.close());

const client = () => createPublicClient({ transport: http(h.url) });

describe("chain RPC (in-process)", () => {
  it("reads chain id, blocks, balances and code", async () => {
    const c = client();
    expect(await c.getChainId()).toBe(31337);
    expect(await c.getBlockNumber()).toBe(1n);
    const block = await c.getBlock({ blockNumber: 1n });
    expect(block.transactions.length).toBe(2);
    expect(block.baseFeePerGas).toBeGreaterThan(0n);
    expect((await c.getBytecode({ address: token }))?.length).toBeGreaterThan(100);
    expect(await c.getBalance({ address: bytesToHex(ADDRESSES[1]!) })).toBe(10n ** 24n);
  });

  it("eth_call reads, and reverts come back as code 3 with data and reason", async () => {
    const c = client();
    const bal = await c.readContract({
      address: token,
      abi: contracts.TestToken.abi,
      functionName: "balanceOf",
      args: [bytesToHex(ADDRESSES[0]!)],
    });
    expect(bal).toBe(10n ** 24n);
    await expect(
      c.readContract({ address: events, abi: contracts.TestEvents.abi, functionName: "revertWithReason", args: ["nope"] }),
    ).rejects.toThrow(/nope/);
    const res = await fetch(h.url, {
      method: "POST",
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_call",
        params: [
          { to: events, data: encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "revertWithCustom", args: [7n] }) },
          "latest",
        ],
      }),
    }).then((r) => r.json());
    expect(res.error.code).toBe(3);
    expect(res.error.data.startsWith("0x")).toBe(true);
  });

  it("eth_estimateGas finds a limit that works and reports reverts", async () => {
    const c = client();
    const data = encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "burnGas", args: [5n] });
    const gas = await c.estimateGas({ account: bytesToHex(ADDRESSES[1]!), to: events, data });
    expect(gas).toBeGreaterThan(100_000n);
    const tooLow = await fetch(h.url, {
      method: "POST",
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_call",
        params: [{ from: bytesToHex(ADDRESSES[1]!), to: events, data, gas: `0x${(gas - 1n).toString(16)}` }],
      }),
    }).then((r) => r.json());
    expect(tooLow.error).toBeDefined();
    const ok = await fetch(h.url, {
      method: "POST",
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_call",
        params: [{ from: bytesToHex(ADDRESSES[1]!), to: events, data, gas: `0x${gas.toString(16)}` }],
      }),
    }).then((r) => r.json());
    expect(ok.result).toBeDefined();
    await expect(
      c.estimateGas({
        account: bytesToHex(ADDRESSES[1]!),
        to: events,
        data: encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "revertIfGreater", args: [5n] }),
      }),
    ).rejects.toThrow(/exceeds value/);
  });

  it("eth_call honours state overrides", async () => {
    const res = await fetch(h.url, {
      method: "POST",
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_call",
        params: [
          { to: events, data: encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "value" }) },
          "latest",
          { [events]: { stateDiff: { [`0x${"0".repeat(64)}`]: `0x${"0".repeat(62)}2a` } } },
        ],
      }),
    }).then((r) => r.json());
    expect(decodeFunctionResult({ abi: contracts.TestEvents.abi, functionName: "value", data: res.result })).toBe(42n);
  });

  it("eth_getProof verifies against the block's state root", async () => {
    const c = client();
    const proof = await c.getProof({ address: token, storageKeys: [`0x${"0".repeat(64)}`] });
    const block = await c.getBlock();
    const leaf = verifyTrieProof(hexToBytes(block.stateRoot), keccak256(hexToBytes(token)), proof.accountProof.map(hexToBytes));
    expect(leaf).toBeDefined();
    const acc = decodeAccount(leaf!);
    expect(bytesToHex(acc.storageRoot)).toBe(proof.storageHash);
    expect(bytesToHex(acc.storageRoot)).not.toBe(bytesToHex(EMPTY_TRIE_ROOT));
    for (const sp of proof.storageProof) verifyTrieProof(acc.storageRoot, keccak256(hexToBytes(sp.key)), sp.proof.map(hexToBytes));
  });

  it("fee history has rewards and one more base fee than blocks", async () => {
    const fh = await client().getFeeHistory({ blockCount: 2, rewardPercentiles: [20, 50] });
    expect(fh.baseFeePerGas.length).toBe(3);
    expect(fh.reward?.length).toBe(2);
  });
});
