import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { signTx } from "@zerog/chain";
import { NODE_RUNTIME_FLAGS } from "@zerog/cli";
import { contracts } from "@zerog/contracts";
import { bytesToHex, hexToBytes, JsonRpcClient, keccak256, rlpEncode } from "@zerog/core";
import { encodeDeployData, encodeFunctionData } from "viem";
import { CHAIN_ID, fundedAlloc, GWEI, type Sender } from "./workload.js";

const require = createRequire(import.meta.url);

export interface Target {
  name: string;
  url: string;
  pid: number;
  /** CPU time (user + system, ms) its processes have used so far, all threads; where the OS tells (Linux `/proc`). */
  cpuMs?(): number;
  stop(): Promise<void>;
}

/** One free port on 127.0.0.1, below the ephemeral range (see `freePorts`). */
export function freePort(): Promise<number> {
  return freePorts(1);
}

/**
 * `count` consecutive ports that are free now (for a process that takes a base port and uses the next ones), below
 * Linux's ephemeral range (32768–60999), where an outgoing connection could take one before the process binds it.
 */
export async function freePorts(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - count));
    const ok = await Promise.all(Array.from({ length: count }, (_, i) => free(base + i)));
    if (ok.every(Boolean)) return base;
  }
}

async function waitRpc(url: string, child: ChildProcess, what: string): Promise<void> {
  const client = new JsonRpcClient({ url, timeoutMs: 1000 });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    try {
      await client.request("eth_chainId");
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} did not start`);
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await done;
    }
    cleanup();
  };
}

/** A zerog chain node as its own process, funding `accounts` in genesis. */
export async function startZerog(accounts: Sender[], opts: { blockTime: number; gasLimit: bigint; cpuProf?: string }): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "zg-bench-"));
  const alloc = fundedAlloc(accounts);
  writeFileSync(
    join(dir, "genesis.json"),
    JSON.stringify({ chainId: Number(CHAIN_ID), timestamp: Math.floor(Date.now() / 1000), gasLimit: opts.gasLimit.toString(), alloc }),
  );
  const port = await freePort();
  const zg = join(dirname(require.resolve("@zerog/cli/package.json")), "dist/bin/zg.js");
  const nodeArgs = [...NODE_RUNTIME_FLAGS, ...(opts.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProf}`] : [])];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      zg,
      "node",
      "start",
      "--datadir",
      dir,
      "--rpc.port",
      String(port),
      "--producer.block-time",
      String(opts.blockTime),
      "--log.level",
      process.env.ZG_BENCH_LOG ?? "warn",
      ...(process.env.ZG_BENCH_LOG_FILE ? ["--log.file", process.env.ZG_BENCH_LOG_FILE] : []),
      ...(process.env.ZG_BENCH_NODE_ARGS ? process.env.ZG_BENCH_NODE_ARGS.split(" ") : []),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitRpc(url, child, "zerog node");
  return { name: "zerog", url, pid: child.pid!, stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })) };
}

/** anvil with the same block time and gas limit, funding the same mnemonic accounts. */
export async function startAnvil(accounts: number, opts: { blockTime: number; gasLimit: bigint }): Promise<Target> {
  const port = await freePort();
  // The npm package's launcher execs this platform binary; run it directly so SIGTERM reaches anvil.
  const bin = join(dirname(require.resolve("@foundry-rs/anvil-linux-amd64/package.json")), "bin/anvil");
  const child = spawn(
    bin,
    [
      "--port",
      String(port),
      "--accounts",
      String(accounts),
      "--block-time",
      String(opts.blockTime / 1000),
      "--gas-limit",
      opts.gasLimit.toString(),
      "--silent",
      "--chain-id",
      String(CHAIN_ID),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitRpc(url, child, "anvil");
  return { name: "anvil", url, pid: child.pid!, stop: stopper(child, () => {}) };
}

/** Deploys the test ERC-20 from account 0 and gives every sender tokens; returns the token address. */
export async function setupToken(url: string, from: Sender[]): Promise<Uint8Array> {
  const client = new JsonRpcClient({ url, timeoutMs: 60_000 });
  const deployer = from[0]!;
  const base = { type: 2 as const, chainId: CHAIN_ID, maxPriorityFeePerGas: GWEI, maxFeePerGas: 100n * GWEI, value: 0n, accessList: [] };
  const nonce0 = BigInt(await client.request<string>("eth_getTransactionCount", [deployer.address, "pending"]));
  const deploy = signTx(
    {
      ...base,
      nonce: nonce0,
      gasLimit: 3_000_000n,
      to: null,
      data: hexToBytes(
        encodeDeployData({ abi: contracts.TestToken.abi, bytecode: contracts.TestToken.bytecode, args: ["Bench", "BNC", 10n ** 30n] }),
      ),
    },
    deployer.key,
  );
  const token = keccak256(rlpEncode([hexToBytes(deployer.address), nonce0])).subarray(12);
  const funding = from.map((s, i) =>
    signTx(
      {
        ...base,
        nonce: nonce0 + 1n + BigInt(i),
        gasLimit: 90_000n,
        to: token,
        data: hexToBytes(encodeFunctionData({ abi: contracts.TestToken.abi, functionName: "transfer", args: [s.address, 10n ** 24n] })),
      },
      deployer.key,
    ),
  );
  for (const tx of [deploy, ...funding]) await client.request("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
  const last = funding[funding.length - 1]!;
  for (;;) {
    const r = await client.request<{ status: string } | null>("eth_getTransactionReceipt", [bytesToHex(last.hash)]);
    if (r) {
      if (r.status !== "0x1") throw new Error("token funding failed");
      return token;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

export async function nonces(url: string, from: Sender[]): Promise<bigint[]> {
  const client = new JsonRpcClient({ url, timeoutMs: 60_000 });
  const res = await client.batch(from.map((s) => ({ method: "eth_getTransactionCount", params: [s.address, "pending"] })));
  return res.map((r) => (r.ok ? BigInt(r.result as string) : 0n));
}
