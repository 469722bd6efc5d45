import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { createLogger, hexToBytes, type LogLevel } from "@zerog/core";
import {
  DASignerNode,
  DisperserClient,
  DisperserNode,
  daSignerKeyFromSecret,
  RpcDAChain,
  retrieveBlob,
  SignerClient,
  sampleBlob,
  samplingFailureBound,
} from "@zerog/da";
import type { Command } from "commander";
import { intArg } from "../config.js";
import { badArg, print, readKeyFile, readRunningManifest, runUntilSignal, wholeZG } from "./shared.js";

interface NodeFlags {
  chainRpc: string;
  "rpc.host": string;
  "rpc.port": number;
  dataDir: string;
  keyFile: string;
  logLevel: string;
}

interface ClientFlags {
  disperser?: string;
  rpc?: string;
  datadir: string;
  json?: boolean;
}

/** `zg da signer|disperser` (the nodes) and `zg da disperse|status|retrieve|sample` (the client). */
export function registerDACommands(program: Command): void {
  const da = program.command("da").description("0G DA: run a signer or the disperser; disperse, inspect, retrieve and sample blobs");

  const node = (c: Command, port: number) =>
    c
      .option("--chain-rpc <url>", "the chain's JSON-RPC URL", "http://127.0.0.1:8545")
      .option("--rpc.host <host>", "listen address of the HTTP API", "127.0.0.1")
      .option("--rpc.port <port>", "HTTP port", intArg("--rpc.port", 0, 65535), port)
      .option("--data-dir <dir>", "data directory")
      .option("--key-file <file>", 'JSON key file: {"privateKey": "0x…"} (and "blsSecretKey" for a signer)')
      .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent", "info");

  node(da.command("signer").description("run a DA signer: verify, store and BLS-sign the columns of blobs its quorum slots hold"), 34000)
    .option("--stake <zg>", "ZG to keep staked in DARegistry (votes = stake / tokensPerVote)", "32")
    .action(async (f: NodeFlags & { stake: string }) => {
      const key = readKeyFile(f.keyFile, ["blsSecretKey"]);
      const logger = createLogger({ level: f.logLevel as LogLevel, base: { node: "da-signer" } });
      const n = new DASignerNode(
        {
          chainRpc: f.chainRpc,
          rpc: { host: f["rpc.host"], port: f["rpc.port"] },
          dataDir: resolve(f.dataDir ?? ".zerog/da-signer"),
          stake: wholeZG(f.stake, "--stake"),
        },
        { key: daSignerKeyFromSecret(hexToBytes(key.blsSecretKey)), privateKey: key.privateKey, logger },
      );
      await runUntilSignal(
        () => n.start(),
        () => n.stop(),
        logger,
      );
    });

  node(da.command("disperser").description("run the DA disperser: encode blobs, submit data roots, collect and submit signatures"), 51001)
    .option("--workers <n>", "encoder threads (default: one per core)", intArg("--workers", 0, 64))
    .action(async (f: NodeFlags & { workers?: number }) => {
      const key = readKeyFile(f.keyFile);
      const logger = createLogger({ level: f.logLevel as LogLevel, base: { node: "da-disperser" } });
      const n = new DisperserNode(
        {
          chainRpc: f.chainRpc,
          rpc: { host: f["rpc.host"], port: f["rpc.port"] },
          dataDir: resolve(f.dataDir ?? ".zerog/da-disperser"),
          ...(f.workers === undefined ? {} : { workers: f.workers }),
          disperser: {},
        },
        { privateKey: key.privateKey, logger },
      );
      await runUntilSignal(
        () => n.start(),
        () => n.stop(),
        logger,
      );
    });

  const client = (c: Command) =>
    c
      .option("--disperser <url>", "the disperser's URL (default: the running devnet's)")
      .option("--rpc <url>", "chain JSON-RPC URL, to find the quorum's signers (default: the running devnet's)")
      .option("--datadir <dir>", "where `zg devnet` keeps its data; its manifest gives the defaults", ".zerog")
      .option("--json", "print the result as JSON");

  client(da.command("disperse").argument("<file>", "the blob (1 B to 16 MiB)").description("disperse a blob; prints its request id"))
    .option("--wait", "wait until the blob is CONFIRMED (or FAILED)")
    .action(async (file: string, f: ClientFlags & { wait?: boolean }) => {
      if (!existsSync(file) || !statSync(file).isFile()) throw badArg("file", `${file} is not a file`);
      const d = new DisperserClient(disperserUrl(f));
      const { requestId, status } = await d.disperseBlob(readFileSync(file));
      if (!f.wait) return print(f, { requestId, status }, `request id  ${requestId}\nstatus      ${status}`);
      const started = performance.now();
      for (;;) {
        const s = await d.getBlobStatus(requestId);
        if (s.status !== "PROCESSING") {
          const text = `request id  ${requestId}\nstatus      ${s.status}${s.info ? `\ndata root   ${s.info.dataRoot}\nepoch       ${s.info.epoch}\nquorum      ${s.info.quorumId}\nsigned      ${s.info.signedSlots} of 128 slots` : ""}${s.error ? `\nerror       ${s.error}` : ""}\ntook        ${((performance.now() - started) / 1000).toFixed(1)} s`;
          print(f, { requestId, ...s }, text);
          if (s.status === "FAILED") process.exitCode = 1;
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    });

  client(
    da
      .command("status")
      .argument("<id>", "request id from zg da disperse")
      .description("a blob's status: PROCESSING, CONFIRMED, FINALIZED, FAILED or NOT_FOUND"),
  ).action(async (id: string, f: ClientFlags) => {
    const s = await new DisperserClient(disperserUrl(f)).getBlobStatus(id);
    print(
      f,
      s,
      `status  ${s.status}${s.info ? `\ndata root ${s.info.dataRoot}  epoch ${s.info.epoch}  quorum ${s.info.quorumId}` : ""}${s.error ? `\nerror   ${s.error}` : ""}`,
    );
    if (s.status === "NOT_FOUND") process.exitCode = 1;
  });

  client(
    da
      .command("retrieve")
      .argument("<id>", "request id")
      .argument("<out>", "where to write the blob")
      .description("rebuild a blob from its signers' columns, every cell verified, and write it")
      .option("--force", "overwrite <out>"),
  ).action(async (id: string, out: string, f: ClientFlags & { force?: boolean }) => {
    if (existsSync(out) && !f.force) throw badArg("out", `${out} exists; add --force to overwrite it`);
    const { ref, clients } = await locate(id, f);
    const started = performance.now();
    const r = await retrieveBlob({ ref, signers: [...clients.values()] });
    writeFileSync(out, r.data);
    const text = `wrote ${out}: ${r.data.length} bytes, ${r.recoveredRows ? `${r.recoveredRows} rows recovered` : "read directly"}, ${((performance.now() - started) / 1000).toFixed(1)} s\n${r.report.map((x) => `  ${x.url}: ${x.columns} columns${x.error ? ` (${x.error})` : ""}`).join("\n")}`;
    print(f, { out, bytes: r.data.length, recoveredRows: r.recoveredRows, report: r.report }, text);
  });

  client(
    da
      .command("sample")
      .argument("<id>", "request id")
      .description("light-client sampling: fetch random cells from the signers and verify each against its row's commitment")
      .option("--samples <k>", "cells to sample (default 20: failure bound ≤ 1e-6)", intArg("--samples", 1, 10_000)),
  ).action(async (id: string, f: ClientFlags & { samples?: number }) => {
    const { ref, quorum, clients } = await locate(id, f);
    const started = performance.now();
    const r = await sampleBlob({ ref, quorum, signers: clients, ...(f.samples ? { samples: f.samples } : {}) });
    const ms = performance.now() - started;
    const lines = r.samples.map(
      (s) => `  row ${s.row} column ${s.column} (${s.signer}): ${s.ok ? "ok" : `FAILED: ${s.reason}`} ${s.ms.toFixed(0)} ms`,
    );
    const verdict = r.passed
      ? `passed ${r.samples.length} samples in ${ms.toFixed(0)} ms; probability that a blob with more than half of its columns withheld passes: ${samplingFailureBound(r.samples.length).toExponential(2)}`
      : `FAILED: ${r.samples.filter((s) => !s.ok).length} of ${r.samples.length} samples did not verify; the blob may be unavailable`;
    print(f, { ...r, ms }, `${lines.join("\n")}\n${verdict}`);
    if (!r.passed) process.exitCode = 1;
  });
}

/** Where a confirmed blob is, and its quorum's signers, from the disperser's status and the chain. */
async function locate(id: string, f: ClientFlags) {
  const s = await new DisperserClient(disperserUrl(f)).getBlobStatus(id);
  if (!s.info || (s.status !== "CONFIRMED" && s.status !== "FINALIZED"))
    throw badArg("id", `blob ${id} is ${s.status}${s.error ? ` (${s.error})` : ""}; only confirmed blobs can be retrieved or sampled`);
  const ref = { dataRoot: hexToBytes(s.info.dataRoot), epoch: s.info.epoch, quorumId: s.info.quorumId };
  const chain = await RpcDAChain.connect({ rpcUrl: chainRpc(f) });
  const quorum = await chain.quorum(ref.epoch, ref.quorumId);
  if (!quorum) throw badArg("id", `the chain has no quorum ${ref.quorumId} in epoch ${ref.epoch}`);
  const signers = await chain.signers([...new Set(quorum)]);
  return { ref, quorum, clients: new Map(signers.map((x) => [x.address, new SignerClient(x.url)])) };
}

function disperserUrl(f: ClientFlags): string {
  const url = f.disperser ?? readRunningManifest(f.datadir)?.nodes.find((n) => n.role === "da-disperser")?.rpc;
  if (!url)
    throw badArg("disperser", `no running devnet with a DA disperser in ${f.datadir}; start one with zg devnet or pass --disperser`);
  return url;
}

function chainRpc(f: ClientFlags): string {
  const url = f.rpc ?? readRunningManifest(f.datadir)?.rpcUrls[0];
  if (!url) throw badArg("rpc", `no running devnet in ${f.datadir}; start one with zg devnet or pass --rpc`);
  return url;
}
