/**
 * 0G DA on a real `zg devnet` (one validator, four DA signers with 32 of the 128 slots each, the disperser): blobs of
 * 1 B to 16 MiB reach CONFIRMED and come back byte-equal through `zg da retrieve` (every cell verified); a signer
 * serving a corrupted cell is caught; a disperser SIGKILLed mid-dispersal and restarted confirms the blob exactly
 * once; with two signers stopped every blob is still rebuilt; with three stopped, sampling fails.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { daRegistryAbi, daSignersAbi } from "@zerog/contracts";
import { blobToRows, DisperserClient } from "@zerog/da";
import { createPublicClient, type Hex, http, parseAbiItem } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { xorshiftBytes as bytesOf } from "../../../core/test/utils/xorshiftBytes.js";
import { freePort, freePorts, isPidAlive, makeTempDir, runZg, spawnZg, trackForeignPid, useE2ECleanup } from "./helpers/processes.js";

useE2ECleanup();

const KiB = 1024;
const MiB = 1024 * KiB;

interface Manifest {
  rpcUrls: string[];
  nodes: { name: string; role: string; pid: number; rpc: string; dataDir: string }[];
}

const datadir = makeTempDir("zg-da-");
let manifest: Manifest;
let disperser: DisperserClient;
const blobs: Record<string, Uint8Array> = {
  "1 B": bytesOf(1, 1),
  "128 KiB": bytesOf(128 * KiB, 2),
  "3 MiB": bytesOf(3 * MiB, 3),
  "16 MiB": bytesOf(16 * MiB, 4),
};
const ids: Record<string, string> = {};
/** The signer whose disk a test corrupts (index into `signers()`). */
let corrupted = -1;

const zg = (...args: string[]) => runZg([...args, "--datadir", datadir], { timeoutMs: 240_000 });
const signers = () => manifest.nodes.filter((n) => n.role === "da-signer");

async function waitConfirmed(id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await disperser.getBlobStatus(id);
    if (s.status === "CONFIRMED" || s.status === "FINALIZED") return;
    if (s.status === "FAILED" || Date.now() > deadline) throw new Error(`blob ${id} is ${s.status}: ${s.error ?? "timed out"}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function retrieveEqual(name: string): Promise<{ report: { url: string; columns: number; error?: string }[]; recoveredRows: number }> {
  const out = join(datadir, `${name.replace(" ", "")}.out`);
  const r = await zg("da", "retrieve", ids[name]!, out, "--force", "--json");
  expect(r.code, r.stderr).toBe(0);
  expect(Buffer.from(readFileSync(out)).equals(Buffer.from(blobs[name]!))).toBe(true);
  return JSON.parse(r.stdout) as never;
}

beforeAll(async () => {
  const [rpcPort, p2pPort, daPort] = [await freePort(), await freePort(), await freePorts(5)];
  const disperserPort = daPort + 4; // signers on daPort..daPort+3
  const args = ["devnet", "--datadir", datadir, "--rpc.port", String(rpcPort), "--p2p.port", String(p2pPort), "--storage.nodes", "0"];
  args.push("--compute.providers", "0"); // no compute processes: this file is about DA
  args.push("--da.port", String(daPort), "--da.disperser-port", String(disperserPort), "--log-level", "warn");
  const sup = spawnZg("zg devnet", args, { logFile: join(datadir, "supervisor.log") });
  await sup.waitForOutput(/zerog devnet running/, 120_000);
  manifest = JSON.parse(readFileSync(join(datadir, "devnet", "devnet.json"), "utf8")) as Manifest;
  for (const n of manifest.nodes) trackForeignPid(n.pid);
  expect(signers().length).toBe(4);
  disperser = new DisperserClient(manifest.nodes.find((n) => n.role === "da-disperser")!.rpc);
}, 180_000);

describe("0G DA on a devnet", () => {
  it("disperses 1 B, 128 KiB, 3 MiB and 16 MiB to CONFIRMED and retrieves each byte-equal", async () => {
    const one = join(datadir, "one.bin");
    writeFileSync(one, blobs["1 B"]!);
    const r = await zg("da", "disperse", one, "--wait", "--json");
    expect(r.code, r.stderr).toBe(0);
    const first = JSON.parse(r.stdout) as { requestId: string; status: string; info: { signedSlots: number } };
    expect(["CONFIRMED", "FINALIZED"]).toContain(first.status);
    expect(first.info.signedSlots).toBe(128);
    ids["1 B"] = first.requestId;
    for (const name of ["128 KiB", "3 MiB", "16 MiB"]) ids[name] = (await disperser.disperseBlob(blobs[name]!)).requestId;
    for (const name of ["128 KiB", "3 MiB", "16 MiB"]) await waitConfirmed(ids[name]!, 240_000);
    for (const name of Object.keys(blobs)) expect((await retrieveEqual(name)).recoveredRows).toBe(0);
  }, 600_000);

  it("each signer staked 32 ZG and registered for the next epoch on start", async () => {
    const client = createPublicClient({ transport: http(manifest.rpcUrls[0]) });
    const c = (await client.request({ method: "zg_systemContracts" as never })) as { DASigners: Hex; DARegistry: Hex };
    const epoch = (await client.readContract({ address: c.DASigners, abi: daSignersAbi, functionName: "epochNumber" })) as bigint;
    for (const s of signers()) {
      const key = JSON.parse(readFileSync(join(s.dataDir, "da_key.json"), "utf8")) as { privateKey: Hex };
      const me = privateKeyToAccount(key.privateKey).address;
      expect(await client.readContract({ address: c.DARegistry, abi: daRegistryAbi, functionName: "staked", args: [me] })).toBe(
        32n * 10n ** 18n,
      );
      expect(
        await client.readContract({ address: c.DASigners, abi: daSignersAbi, functionName: "registeredEpoch", args: [me, epoch + 1n] }),
      ).toBe(true);
    }
  });

  it("samples a confirmed blob, and answers bad input with clear errors", async () => {
    const s = await zg("da", "sample", ids["3 MiB"]!, "--json");
    expect(s.code, s.stderr).toBe(0);
    const sampled = JSON.parse(s.stdout) as { passed: boolean; samples: unknown[]; failureBound: number };
    expect([sampled.passed, sampled.samples.length]).toEqual([true, 20]);
    expect(sampled.failureBound).toBeLessThan(1e-6);
    const unknown = await zg("da", "status", "no-such-id");
    expect([unknown.code, unknown.stdout.trim()]).toEqual([1, "status  NOT_FOUND"]);
    const empty = join(datadir, "empty.bin");
    writeFileSync(empty, "");
    const e = await zg("da", "disperse", empty);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/1 to 16777216 bytes/);
    const garbage = await fetch(`${signers()[0]!.rpc}/v1/sign`, { method: "POST", body: "garbage" });
    expect(garbage.status).toBe(400);
    expect((await disperser.getBlobStatus(ids["1 B"]!)).status).not.toBe("NOT_FOUND"); // everyone still up
  }, 120_000);

  it("a signer serving a corrupted cell is caught by its proof; the blob is rebuilt from the others", async () => {
    // Flip a byte inside a stored data cell (row 0 of some column < 64) on one signer's disk.
    const row0 = blobToRows(blobs["3 MiB"]!)[0]!;
    let hit: { signer: number; column: number } | undefined;
    for (const [i, s] of signers().entries()) {
      const file = join(s.dataDir, "cells", "data.mdb");
      const db = readFileSync(file);
      for (let column = 0; column < 64 && !hit; column++) {
        const at = db.indexOf(Buffer.from(row0.subarray(column * 2048, column * 2048 + 64)));
        if (at < 0) continue;
        db[at + 1000] ^= 0xff;
        writeFileSync(file, db);
        hit = { signer: i, column };
      }
      if (hit) break;
    }
    expect(hit).toBeDefined();
    const r = await retrieveEqual("3 MiB");
    expect(r.report.find((x) => x.url === signers()[hit!.signer]!.rpc)).toMatchObject({
      columns: 31,
      error: "1 column(s) failed their proofs",
    });
    corrupted = hit!.signer;
  }, 120_000);

  it("a disperser SIGKILLed mid-dispersal and restarted confirms the blob exactly once", async () => {
    const node = manifest.nodes.find((n) => n.role === "da-disperser")!;
    const data = bytesOf(2 * MiB, 9);
    const { requestId } = await disperser.disperseBlob(data);
    // Kill once the upload transaction is signed and stored (the status shows the data root from then on).
    for (let i = 0; i < 400 && !(await disperser.getBlobStatus(requestId)).info; i++) await new Promise((r) => setTimeout(r, 25));
    process.kill(node.pid, "SIGKILL");
    for (let i = 0; i < 100 && isPidAlive(node.pid); i++) await new Promise((r) => setTimeout(r, 50));
    const port = new URL(node.rpc).port;
    const restarted = spawnZg(
      "zg da disperser (restarted)",
      [
        "da",
        "disperser",
        "--chain-rpc",
        manifest.rpcUrls[0]!,
        "--rpc.host",
        "127.0.0.1",
        "--rpc.port",
        port,
        "--data-dir",
        node.dataDir,
        "--key-file",
        join(node.dataDir, "da_key.json"),
      ],
      { logFile: join(datadir, "disperser-restarted.log") },
    );
    expect(restarted.pid).toBeGreaterThan(0);
    await expect(
      (async () => {
        for (let i = 0; i < 600; i++) {
          try {
            await disperser.getBlobStatus(requestId);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      })(),
    ).resolves.toBeUndefined();
    await waitConfirmed(requestId, 120_000);
    const { info } = await disperser.getBlobStatus(requestId);
    const client = createPublicClient({ transport: http(manifest.rpcUrls[0]) });
    const entrance = (await client.request({ method: "zg_systemContracts" as never })) as { DAEntrance: Hex };
    const count = async (event: string) =>
      (await client.getLogs({ address: entrance.DAEntrance, event: parseAbiItem(event) as never, fromBlock: 0n })).filter(
        (l) => ((l as unknown as { args: { dataRoot: Hex } }).args.dataRoot ?? "").toLowerCase() === info!.dataRoot,
      ).length;
    expect(await count("event DataUpload(address sender, bytes32 dataRoot, uint256 epoch, uint256 quorumId, uint256 blobPrice)")).toBe(1);
    expect(await count("event ErasureCommitmentVerified(bytes32 dataRoot, uint256 epoch, uint256 quorumId)")).toBe(1);
  }, 240_000);

  it("with two of the four signers stopped every blob is rebuilt; with three, sampling fails", async () => {
    // Stop the corrupted signer and one other: the two left hold 64 clean columns.
    const order = [signers()[corrupted]!, ...signers().filter((_, i) => i !== corrupted)];
    for (const s of order.slice(0, 2)) process.kill(s.pid, "SIGKILL");
    for (const name of Object.keys(blobs)) expect((await retrieveEqual(name)).report.filter((x) => x.columns > 0).length).toBe(2);
    process.kill(order[2]!.pid, "SIGKILL");
    const s = await zg("da", "sample", ids["128 KiB"]!, "--json");
    expect(s.code).toBe(1);
    const sampled = JSON.parse(s.stdout) as { passed: boolean; samples: { ok: boolean }[] };
    expect(sampled.passed).toBe(false);
    const r = await zg("da", "retrieve", ids["1 B"]!, join(datadir, "x.out"), "--force");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot be rebuilt: 32 verified columns of the 64 needed/);
  }, 600_000);
});
