/**
 * The `zg` command line itself: help texts with their defaults, key generation and display (checked
 * against viem's derivation), the standard mnemonic's first accounts, `genesis init` output, and bad
 * invocations failing with a non-zero exit and a one-line `error: …` message.
 */
import { readFileSync, statSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { COMPUTE_SYSTEM_CONTRACTS, STORAGE_SYSTEM_CONTRACTS } from "@zerog/contracts";
import { type Hex, isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { ACCOUNTS, CHAIN_ID, GENESIS_BALANCE, TEST_MNEMONIC } from "./helpers/accounts.js";
import { startNode, useE2ECleanup } from "./helpers/node.js";
import { freePort, makeTempDir, type RunResult, runZg, spawnZg } from "./helpers/processes.js";

useE2ECleanup();

const dir = makeTempDir("zg-cli-");

/** Help text with line wrapping undone, so "(default: 8545)" matches wherever commander breaks lines. */
const flat = (s: string) => s.replace(/\s+/g, " ");

async function zg(...args: string[]): Promise<string> {
  const r = await runZg(args);
  if (r.code !== 0) throw new Error(`zg ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** A failed run: non-zero exit and exactly one line on stderr, starting with "error: ". */
function expectOneLineError(r: RunResult, pattern: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

describe("zg help", () => {
  it("lists the commands", async () => {
    const [out, version] = await Promise.all([zg("--help"), zg("--version")]);
    for (const cmd of ["devnet", "node", "genesis", "keys"]) expect(out).toMatch(new RegExp(`^\\s+${cmd}\\b`, "m"));
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("shows the defaults of `node start` and `devnet`", async () => {
    const [nodeHelp, devnetHelp] = await Promise.all([zg("node", "start", "--help"), zg("devnet", "--help")]);
    const node = flat(nodeHelp);
    for (const d of [
      "--datadir <dir> data directory (default: .zerog/node)",
      "(default: 127.0.0.1)",
      "JSON-RPC port, HTTP and WebSocket (default: 8545)",
      "while transactions wait (default: 250)",
      "most time between blocks when idle (default: 2000)",
      "(default: info)",
    ]) {
      expect(node).toContain(d);
    }
    const devnet = flat(devnetHelp);
    for (const d of ['(default: ".zerog")', "(default: 31337)", "(default: 10)", "(default: 8545)", "(default: 250)"]) {
      expect(devnet).toContain(d);
    }
  });
});

describe("zg keys", () => {
  it("creates a key whose address `keys show --key` (and viem) derive again", async () => {
    const created = JSON.parse(await zg("keys", "new")) as { address: string; privateKey: Hex };
    expect(isAddress(created.address, { strict: true })).toBe(true);
    expect(created.privateKey).toMatch(/^0x[0-9a-f]{64}$/);
    expect(privateKeyToAccount(created.privateKey).address).toBe(created.address);
    expect(JSON.parse(await zg("keys", "show", "--key", created.privateKey))).toEqual({ address: created.address });
    // Without 0x, and with the key echoed on request.
    expect(JSON.parse(await zg("keys", "show", "--key", created.privateKey.slice(2), "--show-private-key"))).toEqual(created);
    // Two runs, two keys.
    const other = JSON.parse(await zg("keys", "new")) as { address: string };
    expect(other.address).not.toBe(created.address);
  });

  it("saves a key file readable only by its owner, which `keys show --file` reads", async () => {
    const file = join(dir, "key.json");
    const out = await zg("keys", "new", "--out", file);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { address: string; privateKey: Hex };
    expect(out).toContain(saved.address);
    expect(out).not.toContain(saved.privateKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await zg("keys", "show", "--file", file))).toEqual({ address: saved.address });
  });

  it("derives the standard test mnemonic's accounts", async () => {
    expect(JSON.parse(await zg("keys", "show", "--mnemonic", TEST_MNEMONIC, "--index", "0"))).toEqual({
      address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    });
    expect(JSON.parse(await zg("keys", "show", "--mnemonic", TEST_MNEMONIC, "--index", "9", "--show-private-key"))).toEqual(ACCOUNTS[9]);
  });
});

describe("zg genesis init", () => {
  it("writes a genesis funding the mnemonic's accounts with 10,000 ZG each", async () => {
    const file = join(dir, "genesis.json");
    expect(await zg("genesis", "init", "--out", file)).toContain(file);
    const g = JSON.parse(readFileSync(file, "utf8")) as {
      chainId: number;
      gasLimit: string;
      timestamp: number;
      alloc: Record<string, { balance: string; code?: string }>;
      systemContracts: Record<string, string>;
    };
    expect(g.chainId).toBe(CHAIN_ID);
    expect(BigInt(g.gasLimit)).toBeGreaterThan(0n);
    expect(Math.abs(g.timestamp - Date.now() / 1000)).toBeLessThan(600);
    // Besides the funded accounts, the 0G Storage and 0G Compute system contracts (code, no balance).
    const system = { ...STORAGE_SYSTEM_CONTRACTS, ...COMPUTE_SYSTEM_CONTRACTS };
    expect(g.systemContracts).toEqual(system);
    const funded = (alloc: typeof g.alloc) => Object.entries(alloc).filter(([, a]) => a.code === undefined);
    expect(funded(g.alloc).map(([address]) => address)).toEqual(ACCOUNTS.map((a) => a.address));
    for (const [, a] of funded(g.alloc)) expect(BigInt(a.balance)).toBe(GENESIS_BALANCE);
    for (const address of Object.values(system)) expect(g.alloc[address]?.code).toMatch(/^0x[0-9a-f]+$/);

    const small = JSON.parse(await zg("genesis", "init", "--chain-id", "4242", "--accounts", "2", "--balance", "5")) as typeof g;
    expect(small.chainId).toBe(4242);
    expect(funded(small.alloc).map(([address]) => address)).toEqual(ACCOUNTS.slice(0, 2).map((a) => a.address));
    expect(BigInt(funded(small.alloc)[0]![1].balance)).toBe(5n * 10n ** 18n);
  });
});

describe("bad invocations", () => {
  it("rejects a non-numeric --rpc.port", async () => {
    const [port, devnetPort, balance] = await Promise.all([
      runZg(["node", "start", "--rpc.port", "abc"]),
      runZg(["devnet", "--rpc.port", "70000"]),
      runZg(["genesis", "init", "--balance", "1.5"]),
    ]);
    expectOneLineError(port, /--rpc\.port must be an integer between 0 and 65535, got "abc"/);
    expectOneLineError(devnetPort, /--rpc\.port must be an integer between 1 and 65535, got "70000"/);
    expectOneLineError(balance, /--balance must be a whole number of ZG, got "1\.5"/);
  });

  it("refuses to start a node without a genesis", async () => {
    const datadir = join(dir, "no-genesis");
    const r = await runZg(["node", "start", "--datadir", datadir, "--rpc.port", String(await freePort())]);
    expectOneLineError(r, /no genesis at .*no-genesis\/genesis\.json; create one with `zg genesis init --out /);
  });

  it("rejects bad keys and a missing key source", async () => {
    const [short, zero, none, mnemonic] = await Promise.all([
      runZg(["keys", "show", "--key", "0x1234"]),
      runZg(["keys", "show", "--key", `0x${"00".repeat(32)}`]),
      runZg(["keys", "show"]),
      runZg(["keys", "show", "--mnemonic", "not a mnemonic at all"]),
    ]);
    expectOneLineError(short, /private key must be 32 bytes of hex/);
    expectOneLineError(zero, /within the secp256k1 order/);
    expectOneLineError(none, /give one of --key, --file or --mnemonic/);
    expectOneLineError(mnemonic, /invalid BIP-39 mnemonic/);
  });

  it("refuses a second node on a datadir in use, naming the process", async () => {
    const node = await startNode({ name: "cli lock node" });
    const r = await runZg([
      "node",
      "start",
      "--datadir",
      node.dataDir,
      "--genesis",
      node.genesisPath,
      "--rpc.port",
      String(await freePort()),
    ]);
    expectOneLineError(r, new RegExp(`data directory .* is in use by process ${node.pid}`));
    expect(node.alive).toBe(true);
    expect(await node.call("eth_chainId")).toBe("0x7a69");
    await node.stop();
  });

  // Regression: a busy port used to leave a half-started node running (and holding the data dir).
  it("fails with the port in the message when --rpc.port is busy", async () => {
    const sockets = new Set<Socket>();
    const busy: Server = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, "127.0.0.1", () => resolve((busy.address() as { port: number }).port)),
    );
    const genesis = join(dir, "busy-genesis.json");
    await zg("genesis", "init", "--out", genesis);
    const logFile = join(dir, "busy-node.log");
    const proc = spawnZg(
      "zg node start (busy port)",
      ["node", "start", "--datadir", join(dir, "busy"), "--genesis", genesis, "--rpc.port", String(port)],
      {
        logFile,
      },
    );
    try {
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        proc.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`zg node start did not exit within 10 s:\n${proc.text}`)), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(exit.code).toBe(1);
      expect(proc.text).toMatch(new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`, "m"));
    } finally {
      await proc.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
