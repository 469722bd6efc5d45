import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deriveAccounts, TEST_MNEMONIC } from "@zerog/cli";
import {
  Broker,
  completionPromptTokens,
  createSessionToken,
  EchoBackend,
  FakeBrokerChain,
  generate,
  loadModel,
  RpcBrokerChain,
  RuntimeBackend,
  serveBackend,
} from "@zerog/compute";
import { COMPUTE_SYSTEM_CONTRACTS, ledgerManagerAbi } from "@zerog/contracts";
import { createSilentLogger, hexToBytes } from "@zerog/core";
import { createPublicClient, defineChain, encodeFunctionData, type Hex, http, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { startDevnet, stopDevnet } from "../devnetProcess.js";
import { runHttpLoad } from "./httpLoad.js";

const NO_AUTO_SETTLE = { checkMs: 3_600_000, intervalMs: 3_600_000, thresholdWei: 10n ** 36n };

/**
 * 0G Compute: the broker's requests/s and added latency against the same trivial backend served directly (both in
 * this process, the load in a worker thread); settlement gas per request on a devnet for batches of 1, 10 and 100
 * requests; tokens/s of the built-in deterministic model.
 */
export async function benchCompute(parts = ["broker", "runtime", "gas"]): Promise<void> {
  if (parts.includes("broker")) await benchBrokerOverhead();
  if (parts.includes("runtime")) await benchRuntime();
  if (parts.includes("gas")) await benchSettlementGas();
}

async function benchBrokerOverhead(): Promise<void> {
  console.log("\nCompute broker vs the echo backend served directly (50 users, keep-alive, 5 s per run)");
  const provider = hexToBytes(generatePrivateKey());
  const providerAddress = privateKeyToAccount(`0x${Buffer.from(provider).toString("hex")}`).address;
  const chain = new FakeBrokerChain({ providerAddress });
  const dataDir = mkdtempSync(join(tmpdir(), "zg-bench-broker-"));
  const broker = new Broker(
    { port: 0, dataDir, inputPrice: 1n, outputPrice: 1n, settlement: NO_AUTO_SETTLE as never },
    { chain, backend: new EchoBackend(), signerKey: provider, logger: createSilentLogger() },
  );
  await broker.start();
  const direct = await serveBackend(new EchoBackend());
  try {
    const users = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const key = hexToBytes(generatePrivateKey());
        const address = privateKeyToAccount(`0x${Buffer.from(key).toString("hex")}`).address;
        chain.setAccount(address, { balance: parseEther("1000") });
        return (await createSessionToken({ privateKey: key, provider: providerAddress })).authorization;
      }),
    );
    const bodies = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ model: "echo", messages: [{ role: "user", content: `benchmark request number ${i}, a short prompt` }] }),
    );
    for (const concurrency of [1, 16, 64]) {
      const base = await runHttpLoad({
        url: direct.url.replace(/\/v1$/, ""),
        path: "/v1/chat/completions",
        bodies,
        headers: [{}],
        concurrency,
        durationMs: 5000,
      });
      const through = await runHttpLoad({
        url: broker.url,
        path: "/v1/proxy/chat/completions",
        bodies,
        headers: users.map((authorization) => ({ authorization })),
        concurrency,
        durationMs: 5000,
      });
      if (through.errors) console.log(`  broker errors: ${through.errors} (${through.firstError})`);
      console.log(
        `  ${String(concurrency).padStart(2)} in flight: direct ${base.rps.toFixed(0)} req/s (p50 ${base.p50.toFixed(2)} ms) | ` +
          `broker ${through.rps.toFixed(0)} req/s, p50 ${through.p50.toFixed(2)} ms, p99 ${through.p99.toFixed(2)} ms | ` +
          `added p50 ${(through.p50 - base.p50).toFixed(2)} ms, ×${(through.rps / base.rps).toFixed(2)} of direct` +
          `  (targets: ≥ 1,000 req/s, added p50 ≤ 2 ms)`,
      );
    }
  } finally {
    await broker.stop();
    await direct.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchRuntime(): Promise<void> {
  const model = loadModel();
  const backend = new RuntimeBackend({ workers: 0 }, { model, now: () => 0 });
  const prompt = "The storage layer keeps an append-only log of 256-byte chunks in a Merkle tree; ".slice(0, 64);
  const ask = async () => {
    const body = new TextEncoder().encode(JSON.stringify({ model: model.name, prompt, max_tokens: 128 }));
    const t = performance.now();
    const r = await backend.handle({
      route: "completions",
      body,
      json: JSON.parse(new TextDecoder().decode(body)),
      stream: false,
      signal: new AbortController().signal,
    });
    const parts: Uint8Array[] = [];
    for await (const p of r.body) parts.push(p);
    const j = JSON.parse(Buffer.concat(parts).toString("utf8")) as { usage: { completion_tokens: number } };
    return { tokens: j.usage.completion_tokens, ms: performance.now() - t };
  };
  const promptTokens = completionPromptTokens(prompt);
  for (const _ of generate(model, promptTokens, { maxTokens: 128 })); // warm-up
  let raw = 0;
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) for (const _ of generate(model, promptTokens, { maxTokens: 128 })) raw++;
  const rawMs = performance.now() - t0;
  await ask();
  const runs = [await ask(), await ask(), await ask()];
  const tokens = runs.reduce((n, r) => n + r.tokens, 0);
  const ms = runs.reduce((n, r) => n + r.ms, 0);
  console.log(
    `\nBuilt-in model ${model.name} (${(model.weights.length / 1e6).toFixed(1)} MB of weights), one thread, 64-byte prompt, 128 tokens, greedy: ` +
      `generate() ${((raw / rawMs) * 1000).toFixed(0)} tokens/s; a whole request through RuntimeBackend (JSON, yielding every 32 tokens) ${((tokens / ms) * 1000).toFixed(0)} tokens/s`,
  );
  await backend.close();
}

/** Settlement gas on a real chain: one `settleFeesWithTEE` item per user, up to 50 items per transaction. */
async function benchSettlementGas(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "zg-bench-compute-"));
  const devnet = await startDevnet(join(dir, "zerog"), ["--storage.nodes", "0", "--da.signers", "0", "--compute.providers", "0"]);
  const url = devnet.rpc;
  const client = createPublicClient({ transport: http(url) });
  const chainId = await client.getChainId();
  const chain = defineChain({
    id: chainId,
    name: "zerog",
    nativeCurrency: { name: "ZG", symbol: "ZG", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const pc = createPublicClient({ chain, transport: http(url) });
  const gasPrice = (await pc.getGasPrice()) * 2n;
  const send = async (key: Hex, txs: { to: Hex; value?: bigint; data?: Hex; gas: bigint }[]) => {
    const account = privateKeyToAccount(key);
    let nonce = await pc.getTransactionCount({ address: account.address, blockTag: "pending" });
    const hashes: Hex[] = [];
    for (const t of txs) {
      const raw = await account.signTransaction({ chainId, type: "legacy", gasPrice, nonce: nonce++, value: 0n, ...t });
      hashes.push(await pc.sendRawTransaction({ serializedTransaction: raw }));
    }
    return hashes;
  };
  const waitAll = async (hashes: Hex[]) => {
    for (const h of hashes) {
      const r = await pc.waitForTransactionReceipt({ hash: h, timeout: 120_000 });
      if (r.status !== "success") throw new Error(`setup transaction ${h} reverted`);
    }
  };
  const funder = deriveAccounts(TEST_MNEMONIC, 1)[0]!.privateKey as Hex; // the devnet's account 0 (10,000 ZG)
  const providerKey = generatePrivateKey();
  const users = Array.from({ length: 100 }, () => generatePrivateKey());
  const brokerDir = join(dir, "broker");
  let broker: Broker | undefined;
  try {
    await waitAll(
      await send(funder, [
        { to: privateKeyToAccount(providerKey).address, value: parseEther("200"), gas: 21_000n },
        ...users.map((u) => ({ to: privateKeyToAccount(u).address, value: parseEther("10"), gas: 21_000n })),
      ]),
    );
    broker = new Broker(
      { port: 0, dataDir: brokerDir, inputPrice: 1_000n, outputPrice: 1_000n, settlement: { ...NO_AUTO_SETTLE, pollMs: 100 } as never },
      {
        chain: await RpcBrokerChain.connect({ rpcUrl: url, privateKey: providerKey }),
        backend: new EchoBackend(),
        signerKey: hexToBytes(providerKey),
        logger: createSilentLogger(),
      },
    );
    await broker.start();
    const provider = privateKeyToAccount(providerKey).address;
    const ledger = COMPUTE_SYSTEM_CONTRACTS.LedgerManager;
    const setup = await Promise.all(
      users.map((u) =>
        send(u, [
          {
            to: ledger,
            value: parseEther("5"),
            gas: 400_000n,
            data: encodeFunctionData({ abi: ledgerManagerAbi, functionName: "addLedger", args: [""] }),
          },
          {
            to: ledger,
            gas: 800_000n,
            data: encodeFunctionData({
              abi: ledgerManagerAbi,
              functionName: "transferFund",
              args: [provider, "inference-v1.0", parseEther("3")],
            }),
          },
        ]),
      ),
    );
    await waitAll(setup.flat());
    const tokens = await Promise.all(
      users.map(async (u) => (await createSessionToken({ privateKey: hexToBytes(u), provider })).authorization),
    );
    console.log("\nCompute settlement gas on a devnet (settleFeesWithTEE; one signed item per user, ≤ 50 items per transaction)");
    for (const [requests, userCount] of [
      [1, 1],
      [10, 10],
      [100, 100],
      [10, 1],
      [100, 1],
    ] as const) {
      for (let i = 0; i < requests; i++) {
        const res = await fetch(`${broker.url}/v1/proxy/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: tokens[i % userCount]! },
          body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: `request ${i}` }] }),
        });
        if (res.status !== 200) throw new Error(`request failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
      const from = await pc.getBlockNumber({ cacheTime: 0 });
      const s = await broker.settleNow();
      // The settlement transactions: those of the provider among the ones that logged on InferenceServing since.
      const logs = await pc.getLogs({ address: COMPUTE_SYSTEM_CONTRACTS.InferenceServing, fromBlock: from + 1n, toBlock: "latest" });
      let gas = 0n;
      let txs = 0;
      for (const hash of new Set(logs.map((l) => l.transactionHash))) {
        const r = await pc.getTransactionReceipt({ hash: hash! });
        if (r.from.toLowerCase() !== provider.toLowerCase()) continue;
        gas += r.gasUsed;
        txs++;
      }
      console.log(
        `  ${String(requests).padStart(3)} requests from ${String(userCount).padStart(3)} user(s): ${txs} tx, ${gas} gas, ` +
          `${(Number(gas) / requests).toFixed(0)} gas/request, ${(Number(gas) / userCount).toFixed(0)} gas/user (${s.users} users settled)` +
          `   [0G 2024: 30,059 + 12,900/request; target ≤ 5,000/request at 100]`,
      );
    }
  } finally {
    await broker?.stop();
    await stopDevnet(devnet.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
