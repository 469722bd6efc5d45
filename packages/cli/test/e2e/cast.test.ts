/**
 * Foundry's `cast` against a real `zg node`: chain id, block number, balance, a value transfer with
 * `send --private-key --value` and its receipt, a contract deployment (`send --create`), `call` with a
 * decoded return, `logs` by event topic, `estimate`, and a failing `send` that shows the revert reason.
 */
import { contracts } from "@zerog/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, GENESIS_BALANCE } from "./helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "./helpers/node.js";
import { CAST_BIN, type RunResult, run } from "./helpers/processes.js";

useE2ECleanup();

const sender = account(1);
const recipient = "0x000000000000000000000000000000000000dEaD";
const TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

let node: TestNode;

/** `cast <args> --rpc-url <node>`; fails the test with cast's output if it exits non-zero. */
async function cast(command: string, ...args: string[]): Promise<string> {
  const r = await castRaw(command, ...args);
  if (r.code !== 0)
    throw new Error(`cast ${command} ${args.map((a) => a.slice(0, 80)).join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

function castRaw(command: string, ...args: string[]): Promise<RunResult> {
  // The URL goes right after the subcommand: trailing varargs (`send --create CODE SIG ARGS…`) would swallow it.
  return run(CAST_BIN, [command, "--rpc-url", node.url, ...args], { timeoutMs: 60_000 });
}

beforeAll(async () => {
  node = await startNode({ name: "cast node" });
});

afterAll(async () => {
  await node?.stop();
});

describe("cast", () => {
  it("reads chain id, block number and balance", async () => {
    expect(await cast("chain-id")).toBe("31337");
    expect(Number(await cast("block-number"))).toBe(Number(BigInt(await node.call<string>("eth_blockNumber"))));
    expect(BigInt(await cast("balance", sender.address))).toBe(GENESIS_BALANCE);
  });

  it("sends value with --private-key and reads the receipt", async () => {
    const sent = JSON.parse(await cast("send", "--private-key", sender.privateKey, "--value", "1ether", "--json", recipient));
    expect(sent.status).toBe("0x1");
    const receipt = JSON.parse(await cast("receipt", "--json", sent.transactionHash));
    expect(receipt.status).toBe("0x1");
    expect(receipt.blockHash).toBe(sent.blockHash);
    expect(receipt.gasUsed).toBe("0x5208");
    expect(BigInt(await cast("balance", recipient))).toBe(10n ** 18n);
    const spent = GENESIS_BALANCE - BigInt(await cast("balance", sender.address));
    expect(spent).toBe(10n ** 18n + 21_000n * BigInt(receipt.effectiveGasPrice));
  });

  it("deploys a token, calls balanceOf, finds its Transfer logs and estimates a transfer", async () => {
    const deployed = JSON.parse(
      await cast(
        "send",
        "--private-key",
        sender.privateKey,
        "--json",
        "--create",
        contracts.TestToken.bytecode,
        "constructor(string,string,uint256)",
        "Cast Token",
        "CT",
        "1000000",
      ),
    );
    expect(deployed.status).toBe("0x1");
    const token: string = deployed.contractAddress;
    expect(token).toMatch(/^0x[0-9a-f]{40}$/);
    const tx = JSON.parse(
      await cast("send", "--private-key", sender.privateKey, "--json", token, "transfer(address,uint256)", recipient, "77"),
    );
    expect(tx.status).toBe("0x1");

    // `cast call` decodes the return type given in the signature: "999923 [9.999e5]".
    expect((await cast("call", token, "balanceOf(address)(uint256)", sender.address)).split(" ")[0]).toBe("999923");
    expect((await cast("call", token, "balanceOf(address)(uint256)", recipient)).split(" ")[0]).toBe("77");

    const logs = JSON.parse(await cast("logs", "--json", "--from-block", "0", "--address", token, TRANSFER_TOPIC));
    expect(logs).toHaveLength(2);
    expect(logs.map((l: { transactionHash: string }) => l.transactionHash)).toEqual([deployed.transactionHash, tx.transactionHash]);
    expect(logs[1].topics).toEqual([
      TRANSFER_TOPIC,
      `0x${sender.address.slice(2).toLowerCase().padStart(64, "0")}`,
      `0x${recipient.slice(2).toLowerCase().padStart(64, "0")}`,
    ]);
    expect(BigInt(logs[1].data)).toBe(77n);
    // The event signature form selects the same logs.
    const bySig = JSON.parse(
      await cast("logs", "--json", "--from-block", "0", "--address", token, "Transfer(address indexed,address indexed,uint256)"),
    );
    expect(bySig).toEqual(logs);

    const estimate = Number(await cast("estimate", "--from", sender.address, token, "transfer(address,uint256)", recipient, "1"));
    expect(estimate).toBeGreaterThan(21_000);
    expect(estimate).toBeLessThan(100_000);
  });

  it("shows the revert reason of a send that would fail, and sends nothing", async () => {
    const deployed = JSON.parse(
      await cast("send", "--private-key", sender.privateKey, "--json", "--create", contracts.TestEvents.bytecode),
    );
    const events: string = deployed.contractAddress;
    const nonce = await cast("nonce", sender.address);
    const r = await castRaw("send", "--private-key", sender.privateKey, events, "revertWithReason(string)", "cast says no");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("execution reverted: cast says no");
    expect(await cast("nonce", sender.address)).toBe(nonce);

    const call = await castRaw("call", events, "revertIfGreater(uint256)(uint256)", "5");
    expect(call.code).not.toBe(0);
    expect(call.stderr).toContain("TestEvents: x exceeds value");
  });
});
