/**
 * `zg devnet` as a user runs it: it writes a manifest (status, chain id, URLs, nodes, funded accounts)
 * and serves a chain where the test mnemonic's accounts hold 10,000 ZG; SIGINT stops it cleanly (exit 0,
 * no child left, manifest "stopped"); a second run continues the same chain, `--reset` starts from a new
 * genesis, and a busy RPC port makes it fail with a message naming the port.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { type Hex, parseGwei } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { ACCOUNTS, CHAIN_ID, GENESIS_BALANCE } from "./helpers/accounts.js";
import { useE2ECleanup } from "./helpers/node.js";
import {
  freePort,
  freePorts,
  isPidAlive,
  makeTempDir,
  spawnZg,
  type TrackedProcess,
  trackForeignPid,
  untrackForeignPid,
} from "./helpers/processes.js";
import { rpc, waitForReceipt } from "./helpers/rpc.js";

useE2ECleanup();

interface Manifest {
  status: string;
  chainId: number;
  rpcUrls: string[];
  wsUrls: string[];
  genesis: string;
  nodes: { name: string; role: string; pid: number; rpc: string; ws?: string; dataDir: string; log: string }[];
  accounts: { address: string; privateKey: string }[];
  supervisorPid: number;
}

const datadir = makeTempDir("zg-devnet-");
const manifestPath = join(datadir, "devnet", "devnet.json");
/** Holds a port; the sockets the devnet opens to it are destroyed on close, or close() would wait for them. */
const busySockets = new Set<Socket>();
const busy: Server = createServer((socket) => {
  busySockets.add(socket);
  socket.on("error", () => {});
  socket.on("close", () => busySockets.delete(socket));
});

afterAll(async () => {
  for (const s of busySockets) s.destroy();
  if (busy.listening) await new Promise<void>((resolve) => busy.close(() => resolve()));
});

function readManifest(): Manifest {
  return JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
}

/** Starts `zg devnet` and resolves once it prints its banner (the manifest says "running" by then). */
async function startDevnet(port: number, extra: string[] = []): Promise<{ sup: TrackedProcess; manifest: Manifest; url: string }> {
  const storagePort = await freePorts(2);
  const daPort = await freePorts(5);
  const disperserPort = daPort + 4; // signers on daPort..daPort+3
  const args = ["devnet", "--datadir", datadir, "--rpc.port", String(port), "--storage.port", String(storagePort), ...extra];
  args.push("--da.port", String(daPort), "--da.disperser-port", String(disperserPort), "--compute.port", String(await freePorts(2)));
  const sup = spawnZg("zg devnet", args, {
    logFile: join(datadir, "supervisor.log"),
  });
  await sup.waitForOutput(/zerog devnet running/, 60_000);
  const manifest = readManifest();
  for (const n of manifest.nodes) trackForeignPid(n.pid);
  return { sup, manifest, url: `http://127.0.0.1:${port}` };
}

/** SIGINT, as Ctrl-C; returns the exit and checks nothing of the devnet is left running. */
async function interrupt(sup: TrackedProcess, manifest: Manifest): Promise<void> {
  const exit = await sup.kill("SIGINT");
  expect(exit).toEqual({ code: 0, signal: null });
  for (const n of manifest.nodes) {
    expect(() => process.kill(n.pid, 0), `${n.name} (pid ${n.pid}) still runs`).toThrow();
    expect(isPidAlive(n.pid)).toBe(false);
    untrackForeignPid(n.pid);
  }
  expect(readManifest().status).toBe("stopped");
  expect(sup.text).toMatch(/devnet stopped/);
}

async function transfer(url: string, nonce: number): Promise<Hex> {
  const raw = await privateKeyToAccount(ACCOUNTS[0]!.privateKey).signTransaction({
    type: "eip1559",
    chainId: CHAIN_ID,
    nonce,
    to: ACCOUNTS[9]!.address,
    value: 1n,
    gas: 21_000n,
    maxFeePerGas: parseGwei("10"),
    maxPriorityFeePerGas: parseGwei("1"),
  });
  const hash = await rpc<Hex>(url, "eth_sendRawTransaction", [raw]);
  await waitForReceipt(url, hash);
  return hash;
}

describe("zg devnet", () => {
  let height = 0;
  let hashAtHeight = "";
  let txHash: Hex = "0x";

  it("runs, describes itself in the manifest, and stops cleanly on SIGINT", async () => {
    const port = await freePort();
    const { sup, manifest, url } = await startDevnet(port);
    try {
      expect(manifest.status).toBe("running");
      expect(manifest.chainId).toBe(CHAIN_ID);
      expect(manifest.supervisorPid).toBe(sup.pid);
      expect(manifest.rpcUrls).toEqual([url]);
      expect(manifest.wsUrls).toEqual([`ws://127.0.0.1:${port}`]);
      expect(manifest.accounts).toHaveLength(10);
      expect(manifest.accounts.map((a) => [a.address, a.privateKey])).toEqual(ACCOUNTS.map((a) => [a.address, a.privateKey]));
      expect(manifest.nodes.length).toBeGreaterThanOrEqual(1);
      for (const n of manifest.nodes) {
        expect(n.pid).toBeGreaterThan(0);
        expect(isPidAlive(n.pid)).toBe(true);
        expect(n.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(existsSync(n.dataDir)).toBe(true);
        expect(statSync(n.log).isFile()).toBe(true);
      }
      // Two 0G storage nodes, one per shard of two, following the chain's Flow contract.
      const storage = manifest.nodes.filter((n) => n.role === "storage");
      expect(storage.map((n) => n.name)).toEqual(["storage-0", "storage-1"]);
      expect(sup.text).toContain(storage[0]!.rpc);
      const flow = (await rpc<Record<string, string>>(url, "zg_systemContracts")).Flow!;
      for (const [i, n] of storage.entries()) {
        expect(await rpc(n.rpc, "zgs_getShardConfig")).toEqual({ shardId: i, numShard: 2 });
        const status = await rpc<{ networkIdentity: { chainId: number; flowAddress: string } }>(n.rpc, "zgs_getStatus");
        expect(status.networkIdentity.chainId).toBe(CHAIN_ID);
        expect(status.networkIdentity.flowAddress.toLowerCase()).toBe(flow.toLowerCase());
      }
      const validator = manifest.nodes.find((n) => n.role === "validator")!;
      expect(validator.rpc).toBe(url);
      expect(validator.ws).toBe(`ws://127.0.0.1:${port}`);

      expect(await rpc(url, "eth_chainId")).toBe(`0x${CHAIN_ID.toString(16)}`);
      for (const a of ACCOUNTS) expect(BigInt(await rpc<string>(url, "eth_getBalance", [a.address, "latest"]))).toBe(GENESIS_BALANCE);

      // Some history to find again after a restart.
      for (let nonce = 0; nonce < 3; nonce++) txHash = await transfer(url, nonce);
      height = Number(await rpc<string>(url, "eth_blockNumber"));
      expect(height).toBeGreaterThanOrEqual(3);
      hashAtHeight = (await rpc<{ hash: string }>(url, "eth_getBlockByNumber", [`0x${height.toString(16)}`, false])).hash;
    } finally {
      await interrupt(sup, manifest);
    }
  });

  it("continues the same chain when started again without --reset", async () => {
    const { sup, manifest, url } = await startDevnet(await freePort());
    try {
      expect(manifest.status).toBe("running");
      expect(Number(await rpc<string>(url, "eth_blockNumber"))).toBeGreaterThanOrEqual(height);
      expect((await rpc<{ hash: string }>(url, "eth_getBlockByNumber", [`0x${height.toString(16)}`, false])).hash).toBe(hashAtHeight);
      expect((await rpc<{ status: string }>(url, "eth_getTransactionReceipt", [txHash])).status).toBe("0x1");
      expect(await rpc(url, "eth_getTransactionCount", [ACCOUNTS[0]!.address, "latest"])).toBe("0x3");
      // And it goes on from there.
      await transfer(url, 3);
      expect(Number(await rpc<string>(url, "eth_blockNumber"))).toBeGreaterThan(height);
    } finally {
      await interrupt(sup, manifest);
    }
  });

  it("starts from genesis with --reset", async () => {
    const { sup, manifest, url } = await startDevnet(await freePort(), ["--reset"]);
    try {
      expect(Number(await rpc<string>(url, "eth_blockNumber"))).toBeLessThan(height);
      expect(await rpc(url, "eth_getTransactionReceipt", [txHash])).toBeNull();
      expect(await rpc(url, "eth_getTransactionCount", [ACCOUNTS[0]!.address, "latest"])).toBe("0x0");
      expect(BigInt(await rpc<string>(url, "eth_getBalance", [ACCOUNTS[0]!.address, "latest"]))).toBe(GENESIS_BALANCE);
    } finally {
      await interrupt(sup, manifest);
    }
  });

  // Regression: a node that cannot listen must exit at once so the supervisor sees it fail.
  it("exits non-zero naming the port when the RPC port is busy", async () => {
    const port = await new Promise<number>((resolve, reject) => {
      busy.once("error", reject);
      busy.listen(0, "127.0.0.1", () => resolve((busy.address() as { port: number }).port));
    });
    const otherDir = makeTempDir("zg-devnet-busy-");
    const sup = spawnZg(
      "zg devnet (busy port)",
      [
        "devnet",
        "--datadir",
        otherDir,
        "--rpc.port",
        String(port),
        "--storage.nodes",
        "0",
        "--da.signers",
        "0",
        "--compute.providers",
        "0",
      ],
      {
        logFile: join(otherDir, "supervisor.log"),
      },
    );
    try {
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        sup.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`zg devnet did not exit within 15 s:\n${sup.text}`)), 15_000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(sup.text).toMatch(new RegExp(`devnet failed to start[\\s\\S]*127\\.0\\.0\\.1:${port}`));
      expect(sup.text).toMatch(/EADDRINUSE|address already in use/);
      const m = JSON.parse(readFileSync(join(otherDir, "devnet", "devnet.json"), "utf8")) as Manifest;
      expect(m.status).toBe("stopped");
    } finally {
      // The supervisor stops its node on SIGTERM.
      await sup.stop();
    }
  });
});
