import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import { daEpochRegistrationMessage, daGenesisSigner, g1PointFromBytes } from "@zerog/contracts";
import { hexToBytes } from "@zerog/core";
import { afterEach, describe, expect, it } from "vitest";
import { DA_GENESIS_VOTES, type DAPlan, planDA } from "../../src/devnet/daLayout.js";
import { checkExistingGenesis } from "../../src/devnet/layout.js";
import { waitReady } from "../../src/devnet/supervisor.js";
import { deriveAccounts, TEST_MNEMONIC } from "../../src/mnemonic.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "zg-da-layout-"));
  dirs.push(d);
  return d;
}

const plan = (over: Partial<DAPlan> = {}): DAPlan => ({
  signers: 4,
  host: "127.0.0.1",
  port: 34000,
  disperserPort: 51001,
  chainRpc: "http://127.0.0.1:8545",
  chainId: 31337,
  mnemonic: TEST_MNEMONIC,
  logLevel: "info",
  ...over,
});

interface KeyFile {
  privateKey: string;
  blsSecretKey?: string;
}

const readKey = (file: string): KeyFile => JSON.parse(readFileSync(file, "utf8")) as KeyFile;

describe("planDA", () => {
  it("lays out four signers on consecutive ports and a disperser, with the args `zg da` takes", () => {
    const dir = tempDir();
    const da = planDA(dir, plan());
    expect(da.signers.map((s) => [s.name, s.role, s.rpc])).toEqual([
      ["da-signer-0", "da-signer", "http://127.0.0.1:34000"],
      ["da-signer-1", "da-signer", "http://127.0.0.1:34001"],
      ["da-signer-2", "da-signer", "http://127.0.0.1:34002"],
      ["da-signer-3", "da-signer", "http://127.0.0.1:34003"],
    ]);
    const s1 = da.signers[1]!;
    expect(s1.dir).toBe(join(dir, "da-signer-1"));
    expect(s1.keyFile).toBe(join(dir, "da-signer-1", "da_key.json"));
    expect(s1.args).toEqual([
      "da",
      "signer",
      "--chain-rpc",
      "http://127.0.0.1:8545",
      "--rpc.host",
      "127.0.0.1",
      "--rpc.port",
      "34001",
      "--data-dir",
      s1.dir,
      "--key-file",
      s1.keyFile,
      "--log-level",
      "info",
    ]);
    expect([s1.readyPath, s1.readyStatus]).toEqual(["/v1/status", [200]]);

    const d = da.disperser!;
    expect([d.name, d.role, d.rpc, d.dir]).toEqual(["da-disperser", "da-disperser", "http://127.0.0.1:51001", join(dir, "da-disperser")]);
    expect(d.args).toEqual([
      "da",
      "disperser",
      "--chain-rpc",
      "http://127.0.0.1:8545",
      "--rpc.host",
      "127.0.0.1",
      "--rpc.port",
      "51001",
      "--data-dir",
      d.dir,
      "--key-file",
      d.keyFile,
      "--log-level",
      "info",
    ]);
    expect(d.readyStatus).toContain(404);
  });

  it("gives signer i the mnemonic's account 100 + i and the disperser account 120, funded in genesis", () => {
    const da = planDA(tempDir(), plan());
    const signerAccounts = deriveAccounts(TEST_MNEMONIC, 4, 100);
    const [disperser] = deriveAccounts(TEST_MNEMONIC, 1, 120);
    for (const [i, s] of da.signers.entries()) {
      expect(readKey(s.keyFile).privateKey).toBe(signerAccounts[i]!.privateKey);
      expect(statSync(s.keyFile).mode & 0o777).toBe(0o600);
    }
    const dk = readKey(da.disperser!.keyFile);
    expect(dk).toEqual({ privateKey: disperser!.privateKey });
    expect(statSync(da.disperser!.keyFile).mode & 0o777).toBe(0o600);
    expect(da.accounts).toEqual([...signerAccounts, disperser!].map((a) => a.address));
  });

  it("registers each signer in genesis with its URL, BLS key, 32 votes and a seed over the chain id", () => {
    const da = planDA(tempDir(), plan({ chainId: 16661 }));
    expect(da.genesisSigners).toHaveLength(4);
    // 4 × 32 ballots: exactly one quorum of 128 slots, 32 per signer.
    expect(da.genesisSigners.reduce((n, g) => n + g.votes, 0n)).toBe(128n);
    for (const [i, g] of da.genesisSigners.entries()) {
      const s = da.signers[i]!;
      const sk = SecretKey.fromBytes(hexToBytes(readKey(s.keyFile).blsSecretKey!));
      const address = deriveAccounts(TEST_MNEMONIC, 1, 100 + i)[0]!.address;
      expect(g.signer).toBe(address);
      expect(g.socket).toBe(s.rpc);
      expect(g.votes).toBe(DA_GENESIS_VOTES);
      expect(g.pk).toEqual(g1PointFromBytes(sk.toPublicKey().toBytes(false)));
      const expected = daGenesisSigner({
        signer: address,
        socket: s.rpc,
        publicKey: sk.toPublicKey().toBytes(false),
        epochSignature: sk.sign(daEpochRegistrationMessage(address, 0n, 16661n)).toBytes(false),
        votes: 32n,
      });
      expect(g.seed).toBe(expected.seed);
    }
    // Another chain id, another seed.
    const other = planDA(tempDir(), plan({ chainId: 1 }));
    expect(other.genesisSigners[0]!.seed).not.toBe(da.genesisSigners[0]!.seed);
  });

  it("keeps BLS keys across restarts and makes new random ones for a new devnet", () => {
    const dir = tempDir();
    const first = planDA(dir, plan());
    const keys = first.signers.map((s) => readKey(s.keyFile).blsSecretKey);
    expect(new Set(keys).size).toBe(4);
    for (const k of keys) expect(k).toMatch(/^0x[0-9a-f]{64}$/);
    const again = planDA(dir, plan({ port: 35000 }));
    expect(again.signers.map((s) => readKey(s.keyFile).blsSecretKey)).toEqual(keys);
    expect(again.genesisSigners.map((g) => g.pk)).toEqual(first.genesisSigners.map((g) => g.pk));
    expect(again.genesisSigners.map((g) => g.seed)).toEqual(first.genesisSigners.map((g) => g.seed));
    expect(again.signers[0]!.rpc).toBe("http://127.0.0.1:35000");

    const fresh = planDA(tempDir(), plan());
    expect(fresh.signers.map((s) => readKey(s.keyFile).blsSecretKey)).not.toEqual(keys);
  });

  it("plans nothing with 0 signers", () => {
    expect(planDA(tempDir(), plan({ signers: 0 }))).toEqual({ genesisSigners: [], signers: [], disperser: null, accounts: [] });
  });

  it("refuses a key file whose BLS secret is not a key, naming the file", () => {
    const dir = tempDir();
    const da = planDA(dir, plan({ signers: 1 }));
    writeFileSync(da.signers[0]!.keyFile, JSON.stringify({ privateKey: "0x01", blsSecretKey: `0x${"ff".repeat(32)}` }));
    expect(() => planDA(dir, plan({ signers: 1 }))).toThrow(/da-signer-0\/da_key\.json: blsSecretKey is not a BLS12-381 secret key/);
  });
});

describe("checkExistingGenesis with DA", () => {
  it("refuses a devnet whose genesis predates 0G DA unless DA is off", () => {
    const dir = tempDir();
    const path = join(dir, "genesis.json");
    writeFileSync(path, JSON.stringify({ validators: [], systemContracts: { Flow: "0x0000000000000000000000000000000000005000" } }));
    expect(() => checkExistingGenesis(path, 0, true, true)).toThrow(/predates 0G DA .*add --reset/);
    expect(() => checkExistingGenesis(path, 0, true, false)).not.toThrow();
    writeFileSync(
      path,
      JSON.stringify({
        validators: [],
        systemContracts: { Flow: "0x0000000000000000000000000000000000005000", DASigners: "0x0000000000000000000000000000000000001000" },
      }),
    );
    expect(() => checkExistingGenesis(path, 0, true, true)).not.toThrow();
  });
});

describe("waitReady with readyPath", () => {
  it("probes with a plain GET and accepts the listed statuses", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(seen.length < 3 ? 503 : 404, { "content-type": "application/json" }).end('{"status":"NOT_FOUND"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const child = new EventEmitter() as ChildProcess;
      const spec = { name: "probe", args: [], logFile: join(tempDir(), "log"), readyUrl: url, readyPath: "/v1/blobs/status?id=probe" };
      await waitReady({ spec: { ...spec, readyStatus: [200, 404] }, child }, 5_000);
      expect(seen).toEqual(Array(3).fill("GET /v1/blobs/status?id=probe"));
      await expect(waitReady({ spec, child }, 300)).rejects.toThrow(/probe did not answer/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
