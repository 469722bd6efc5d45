import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chainNodeRuntimeFlags, devnetValidatorKeys, planDevnet } from "@zerog/cli";
import { JsonRpcClient } from "@zerog/core";
import { freePorts, type Target } from "./targets.js";
import { CHAIN_ID, fundedAlloc, type Sender } from "./workload.js";

const require = createRequire(import.meta.url);

/**
 * A BFT network as `zg devnet --validators N` lays it out (validators plus an RPC full node), each
 * node its own process; the returned target is the RPC node (or validator-0). Funds `accounts` in genesis.
 */
export async function startBFTNetwork(
  validators: number,
  accounts: Sender[],
  /** `fullNode`: add the RPC full node and send clients there (else to validator-0). */
  opts: { blockTime: number; gasLimit: bigint; fullNode: boolean },
): Promise<Target> {
  const cliDist = join(dirname(require.resolve("@zerog/cli/package.json")), "dist");
  const layout = { devnetValidatorKeys, planDevnet };
  const dir = mkdtempSync(join(tmpdir(), "zg-bft-bench-"));
  const keys = layout.devnetValidatorKeys(dir, validators);
  const alloc = fundedAlloc(accounts);
  writeFileSync(
    join(dir, "genesis.json"),
    JSON.stringify({
      chainId: Number(CHAIN_ID),
      timestamp: Math.floor(Date.now() / 1000),
      gasLimit: opts.gasLimit.toString(),
      alloc,
      validators: keys,
    }),
  );
  // `ZG_BENCH_LOGS=<dir>`: every node logs at debug level to <dir>/<name>.log (timings of each height).
  const logDir = process.env.ZG_BENCH_LOGS;
  if (logDir) mkdirSync(logDir, { recursive: true });
  // Node i takes base + i: consecutive ports below the ephemeral range, where no outgoing connection takes one first.
  const rpcPort = await freePorts(2 * (validators + 1));
  const p2pPort = rpcPort + validators + 1;
  const planned = layout.planDevnet(dir, {
    validators,
    host: "127.0.0.1",
    rpcPort,
    p2pPort,
    blockTime: opts.blockTime,
    logLevel: logDir ? "debug" : "warn",
  });
  const nodes = opts.fullNode ? planned : planned.filter((n) => n.role === "validator");
  const zg = join(cliDist, "bin/zg.js");
  const children: ChildProcess[] = nodes.map((n) =>
    spawn(
      process.execPath,
      [...chainNodeRuntimeFlags(nodes.length), ...profileFlags(n.name), zg, "node", "start", "--config", n.configPath, ...nodeArgs()],
      {
        stdio: ["ignore", logDir ? openSync(join(logDir, `${n.name}.log`), "w") : "ignore", "inherit"],
      },
    ),
  );
  const url = nodes[0]!.rpc;
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGTERM");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  for (const n of nodes) {
    const client = new JsonRpcClient({ url: n.rpc, timeoutMs: 1000 });
    for (let i = 0; ; i++) {
      try {
        await client.request("eth_chainId");
        break;
      } catch {
        if (i > 300) {
          await stop();
          throw new Error(`${n.name} did not start`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  // Measure a running network: the first heights after a simultaneous start can take a round while
  // validators still connect and block-sync (up to ~1.5 s), which is start-up, not steady-state finality.
  for (const n of nodes) {
    const client = new JsonRpcClient({ url: n.rpc, timeoutMs: 1000 });
    for (let i = 0; BigInt(await client.request<string>("eth_blockNumber")) < WARM_UP_HEIGHT; i++) {
      if (i > 300) {
        await stop();
        throw new Error(`${n.name} did not reach height ${WARM_UP_HEIGHT}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    name: `zerog ${validators} validators${opts.fullNode ? " + RPC node" : ""}`,
    url,
    pid: children[0]!.pid!,
    cpuMs: () => children.reduce((sum, c) => sum + processCpuMs(c.pid!), 0),
    stop,
  };
}

/**
 * `ZG_BENCH_PROFILE=<dir>` writes a CPU profile per node (`--cpu-prof`); `ZG_BENCH_NODE_FLAGS` adds Node
 * flags to every node (A/B runs of runtime settings).
 */
function profileFlags(name: string): string[] {
  const dir = process.env.ZG_BENCH_PROFILE;
  const extra = process.env.ZG_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
  return [...extra, ...(dir ? ["--cpu-prof", `--cpu-prof-dir=${join(dir, name)}`] : [])];
}

/** `ZG_BENCH_NODE_ARGS` adds `zg node start` flags to every node (A/B runs of node options, e.g. `--no-consensus.previews`). */
function nodeArgs(): string[] {
  return process.env.ZG_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
}

/** utime + stime of a process (all its threads) from `/proc/<pid>/stat`, in ms; 0 where there is no `/proc`. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Every node has committed this height before the network is measured. */
const WARM_UP_HEIGHT = 3n;

/** `getconf CLK_TCK`: 100 on Linux. */
const CLOCK_TICKS = 100;
