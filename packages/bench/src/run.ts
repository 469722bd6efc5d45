import { mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { defaultExecutionOptions, signTx } from "@zerog/chain";
import { contracts } from "@zerog/contracts";
import { hexToBytes, keccak256, rlpEncode } from "@zerog/core";
import { encodeDeployData, encodeFunctionData } from "viem";
import { startBFTNetwork } from "./bftNetwork.js";
import { type BlockTiming, executionOnly } from "./executionOnly.js";
import { type LatencyResult, measureFinality } from "./finality.js";
import { benchKV } from "./kvStores.js";
import { runLoad, runPacedLoad } from "./rpcLoad.js";
import { nonces, setupToken, startAnvil, startZerog, type Target } from "./targets.js";
import { CHAIN_ID, erc20Transfers, fundedAlloc, GWEI, nativeTransfers, senders, type Workload } from "./workload.js";

const { values: args } = parseArgs({
  options: {
    senders: { type: "string", default: "200" },
    "per-sender": { type: "string", default: "100" },
    "block-time": { type: "string", default: "250" },
    "gas-limit": { type: "string", default: "60000000" },
    only: { type: "string" },
    profile: { type: "string" },
    "storage-mib": { type: "string", default: "1024" },
  },
});
const N = Number(args.senders);
const PER = Number(args["per-sender"]);
const BLOCK_TIME = Number(args["block-time"]);
const GAS_LIMIT = BigInt(args["gas-limit"]);
const accounts = senders(N);

interface Row {
  target: string;
  workload: string;
  txs: number;
  seconds: number;
  tps: number;
  note: string;
}
const rows: Row[] = [];
const latencyRows: ({ target: string } & LatencyResult)[] = [];

async function measure(start: () => Promise<Target>): Promise<void> {
  const t = await start();
  try {
    const token = await setupToken(t.url, accounts);
    let n = await nonces(t.url, accounts);
    const workloads: Workload[] = [nativeTransfers(accounts, PER, (s) => n[s]!)];
    for (const w of workloads) {
      const r = await runLoad(t.url, w);
      rows.push({
        target: t.name,
        workload: w.name,
        txs: r.txs,
        seconds: r.totalMs / 1000,
        tps: r.tps,
        note: r.rejected ? `${r.rejected} rejected: ${r.firstError}` : `sent in ${(r.sendMs / 1000).toFixed(2)} s`,
      });
      console.log(`  ${t.name} ${w.name}: ${r.tps.toFixed(0)} tx/s`);
    }
    n = await nonces(t.url, accounts);
    const erc20 = erc20Transfers(accounts, PER, token, (s) => n[s]!);
    const r = await runLoad(t.url, erc20);
    rows.push({
      target: t.name,
      workload: erc20.name,
      txs: r.txs,
      seconds: r.totalMs / 1000,
      tps: r.tps,
      note: r.rejected ? `${r.rejected} rejected: ${r.firstError}` : `sent in ${(r.sendMs / 1000).toFixed(2)} s`,
    });
    console.log(`  ${t.name} ${erc20.name}: ${r.tps.toFixed(0)} tx/s`);
    n = await nonces(t.url, accounts);
    const probes = nativeTransfers(accounts.slice(0, 1), 100, () => n[0]!).txs;
    const lat = await measureFinality(t.url, probes, { gapMs: 50, pollMs: 250 });
    latencyRows.push({ target: t.name, ...lat });
    console.log(`  ${t.name} finality at light load: p50 ${lat.p50.toFixed(0)} ms, p99 ${lat.p99.toFixed(0)} ms`);
  } finally {
    await t.stop();
  }
}

async function measureExecutionOnly(): Promise<void> {
  const alloc = fundedAlloc(accounts);
  const deployer = accounts[0]!;
  const base = { type: 2 as const, chainId: CHAIN_ID, maxPriorityFeePerGas: GWEI, maxFeePerGas: 100n * GWEI, value: 0n, accessList: [] };
  const token = keccak256(rlpEncode([hexToBytes(deployer.address), 0n])).subarray(12);
  const setup = [
    signTx(
      {
        ...base,
        nonce: 0n,
        gasLimit: 3_000_000n,
        to: null,
        data: hexToBytes(
          encodeDeployData({ abi: contracts.TestToken.abi, bytecode: contracts.TestToken.bytecode, args: ["B", "B", 10n ** 30n] }),
        ),
      },
      deployer.key,
    ),
    ...accounts.map((s, i) =>
      signTx(
        {
          ...base,
          nonce: BigInt(i + 1),
          gasLimit: 90_000n,
          to: token,
          data: hexToBytes(encodeFunctionData({ abi: contracts.TestToken.abi, functionName: "transfer", args: [s.address, 10n ** 24n] })),
        },
        deployer.key,
      ),
    ),
  ];
  const start = (s: number) => (s === 0 ? BigInt(accounts.length + 1) : 0n);
  const native = await executionOnly(alloc, setup, nativeTransfers(accounts, PER, start));
  rows.push({
    target: "zerog engine",
    workload: "native transfers",
    txs: native.txs,
    seconds: native.ms / 1000,
    tps: native.tps,
    note: `execution + state root + commit; decode+recover ${native.decodeTps.toFixed(0)}/s`,
  });
  const erc20 = await executionOnly(alloc, setup, erc20Transfers(accounts, PER, token, start));
  rows.push({
    target: "zerog engine",
    workload: "ERC-20 transfers",
    txs: erc20.txs,
    seconds: erc20.ms / 1000,
    tps: erc20.tps,
    note: "execution + state root + commit",
  });
}

/** 4 validators + an RPC node: finality latency at light load and at saturation, sustained native transfers. */
async function measureBFT(fullNode: boolean): Promise<void> {
  const t = await startBFTNetwork(4, accounts, { blockTime: BLOCK_TIME, gasLimit: GAS_LIMIT, fullNode });
  try {
    let n = await nonces(t.url, accounts);
    // 200 samples, so that p99 is a percentile rather than the one slowest transfer.
    const light = await measureFinality(t.url, nativeTransfers(accounts.slice(0, 1), 200, () => n[0]!).txs, { gapMs: 50, pollMs: 250 });
    latencyRows.push({ target: `${t.name}, light load`, ...light });
    console.log(`  ${t.name} finality at light load: p50 ${light.p50.toFixed(0)} ms, p99 ${light.p99.toFixed(0)} ms`);
    // Sustained means steady state: the first full-speed load after start-up mostly pays V8's
    // optimising compiler (seconds of background TurboFan work per node), so a load of the same shape
    // runs unmeasured first. Its transfers go between the senders: no new accounts, so the measured
    // load meets the same state size as without it (the database's write cost grows with the state).
    // Signing both loads holds the event loop for seconds; a keep-alive connection the server closed
    // meanwhile is only seen closed once the loop turns, so it turns before the next request.
    n = await nonces(t.url, accounts);
    const among = accounts.map((a) => hexToBytes(a.address));
    const warmLoad = nativeTransfers(
      accounts.slice(1),
      PER,
      (s) => n[s + 1]!,
      (i) => among[(i + 7) % among.length]!,
    );
    const load = nativeTransfers(accounts.slice(1), PER, (s) => n[s + 1]! + BigInt(PER));
    await sleep(100);
    const warm = await runLoad(t.url, warmLoad);
    console.log(`  ${t.name} warm-up (not measured): ${warm.txs} transfers at ${warm.tps.toFixed(0)} tx/s`);
    const probes = nativeTransfers(accounts.slice(0, 1), 60, () => n[0]!).txs;
    const cpu0 = t.cpuMs?.() ?? 0;
    const self0 = process.cpuUsage();
    const [r, heavy] = await Promise.all([runLoad(t.url, load), measureFinality(t.url, probes, { gapMs: 100, pollMs: 250 })]);
    const nodesUs = (((t.cpuMs?.() ?? 0) - cpu0) * 1000) / r.txs;
    const self = process.cpuUsage(self0);
    const clientUs = (self.user + self.system) / r.txs;
    rows.push({
      target: t.name,
      workload: "native transfers",
      txs: r.txs,
      seconds: r.totalMs / 1000,
      tps: r.tps,
      note: `every validator executes every block; sent in ${(r.sendMs / 1000).toFixed(2)} s; CPU per transfer: nodes ${nodesUs.toFixed(0)} µs, load generator ${clientUs.toFixed(0)} µs`,
    });
    latencyRows.push({ target: `${t.name}, saturated (${r.tps.toFixed(0)} tx/s)`, ...heavy });
    console.log(
      `  ${t.name} native transfers: ${r.tps.toFixed(0)} tx/s (CPU per transfer: nodes ${nodesUs.toFixed(0)} µs, load generator ${clientUs.toFixed(0)} µs); finality under load p50 ${heavy.p50.toFixed(0)} ms, p99 ${heavy.p99.toFixed(0)} ms`,
    );
    // Without a backlog: paced at 50, 65 and 80 % of the measured rate for ~10 s each (where the targets hold).
    for (const share of [0.5, 0.65, 0.8]) {
      n = await nonces(t.url, accounts);
      const rate = Math.floor(r.tps * share);
      const paced = nativeTransfers(accounts.slice(1), Math.max(1, Math.ceil((rate * 10) / (accounts.length - 1))), (s) => n[s + 1]!);
      const pacedProbes = nativeTransfers(accounts.slice(0, 1), 200, () => n[0]!).txs;
      const [, atRate] = await Promise.all([
        runPacedLoad(t.url, paced, rate),
        measureFinality(t.url, pacedProbes, { gapMs: 50, pollMs: 250 }),
      ]);
      latencyRows.push({ target: `${t.name}, at ${rate} tx/s (${Math.round(share * 100)} % of capacity)`, ...atRate });
      console.log(`  ${t.name} finality at ${rate} tx/s: p50 ${atRate.p50.toFixed(0)} ms, p99 ${atRate.p99.toFixed(0)} ms`);
    }
  } finally {
    await t.stop();
  }
}

/**
 * The engine's cost per block as the state grows: the senders (200 by default) send 600 transfers each,
 * every one to a fresh account (120,000 new accounts), in full blocks; build and commit (database write) per block.
 */
async function measureStateGrowth(): Promise<void> {
  const alloc = fundedAlloc(accounts);
  const blockTxs = Number(GAS_LIMIT / 21_000n);
  // The peer in the same run: the state written with every block (the layout before grouped writes).
  const layouts = [
    { name: `state written every ${defaultExecutionOptions.stateWriteInterval} blocks (default)`, options: {} },
    { name: "state written with every block", options: { stateWriteInterval: 1 } },
  ];
  const firstCpu: number[] = [];
  for (const layout of layouts) {
    const timings: BlockTiming[] = [];
    const r = await executionOnly(
      alloc,
      [],
      nativeTransfers(accounts, 600, () => 0n),
      blockTxs,
      (t) => timings.push(t),
      layout.options,
    );
    firstCpu.push(r.cpuMs);
    console.log(
      `\nengine as the state grows, ${layout.name} (${blockTxs} native transfers per block, each to a new account): ${r.tps.toFixed(0)} tx/s, ${((r.cpuMs * 1000) / r.txs).toFixed(0)} µs CPU per transfer (all threads)${firstCpu.length > 1 ? `, ${(r.cpuMs / firstCpu[0]!).toFixed(2)}x the CPU of the default` : ""}`,
    );
    console.log(
      "| blocks | new accounts by then | build ms per block | until durable, ms per block | CPU ms per block (all threads) | vs the first blocks (build, CPU) |\n|---|---:|---:|---:|---:|---:|",
    );
    // timings[0] is the empty setup block.
    const step = 6;
    let first: [number, number] | undefined;
    let created = 0;
    for (let i = 1; i + step <= timings.length; i += step) {
      const part = timings.slice(i, i + step);
      created += part.reduce((s, t) => s + t.txs, 0);
      const avg = (f: (t: BlockTiming) => number) => part.reduce((s, t) => s + f(t), 0) / part.length;
      const build = avg((t) => t.buildMs);
      const cpu = avg((t) => t.cpuMs);
      first ??= [build, cpu];
      console.log(
        `| ${i + 1}–${i + step} | ${created} | ${build.toFixed(0)} | ${avg((t) => t.commitMs).toFixed(0)} | ${cpu.toFixed(0)} | ${(build / first[0]).toFixed(2)}x, ${(cpu / first[1]).toFixed(2)}x |`,
      );
    }
  }
}

async function measureKV(): Promise<void> {
  console.log("\nstorage engines, the chain's write pattern (one atomic batch of 10,000 random 33-byte keys per block, 40 blocks):");
  console.log("| engine | blocks/s | puts/s | point reads/s |\n|---|---:|---:|---:|");
  for (const r of await benchKV(40, 10_000)) {
    console.log(`| ${r.engine} | ${r.blockWritesPerSec.toFixed(1)} | ${Math.round(r.putsPerSec)} | ${Math.round(r.readsPerSec)} |`);
  }
}

console.log(
  `zerog benchmark: ${N} senders × ${PER} txs per workload, block time ${BLOCK_TIME} ms, gas limit ${GAS_LIMIT} (same for anvil)`,
);
if (args.profile) mkdirSync(args.profile, { recursive: true });
if (args.only === "kv") await measureKV();
if (args.only === "growth") await measureStateGrowth();
if (!args.only || args.only === "bft") {
  await measureBFT(false);
  await measureBFT(true);
}
if (args.only === "p2p") await (await import("./p2p.js")).benchP2P();
if (!args.only || args.only === "da") await (await import("./da/run.js")).benchDA();
if (!args.only || args.only === "compute") await (await import("./compute/run.js")).benchCompute();
if (!args.only || args.only === "storage") await (await import("./storage/run.js")).benchStorage(Number(args["storage-mib"]));
if (!args.only || args.only === "engine") await measureExecutionOnly();
if (!args.only || args.only === "zerog")
  await measure(() =>
    startZerog(accounts, { blockTime: BLOCK_TIME, gasLimit: GAS_LIMIT, ...(args.profile ? { cpuProf: args.profile } : {}) }),
  );
if (!args.only || args.only === "anvil") await measure(() => startAnvil(N, { blockTime: BLOCK_TIME, gasLimit: GAS_LIMIT }));

if (rows.length > 0) console.log("\n| target | workload | txs | seconds | tx/s | vs anvil | note |\n|---|---|---:|---:|---:|---:|---|");
for (const r of rows.length > 0 ? rows : []) {
  const anvil = rows.find((x) => x.target === "anvil" && x.workload === r.workload);
  const ratio = anvil && r.target === "zerog" ? `${(r.tps / anvil.tps).toFixed(2)}x` : "";
  console.log(`| ${r.target} | ${r.workload} | ${r.txs} | ${r.seconds.toFixed(2)} | ${r.tps.toFixed(0)} | ${ratio} | ${r.note} |`);
}

if (latencyRows.length > 0) {
  console.log(
    "\n| target, load | finality (send → receipt), one sender's transfers 50 ms apart (100 ms at saturation) | p50 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|",
  );
  for (const l of latencyRows)
    console.log(`| ${l.target} | ${l.samples} samples | ${l.p50.toFixed(0)} | ${l.p99.toFixed(0)} | ${l.max.toFixed(0)} |`);
}
