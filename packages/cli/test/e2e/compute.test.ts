/**
 * 0G Compute on a real `zg devnet` (one validator, the compute provider serving the built-in deterministic model, a
 * staked verifier): the provider is registered on chain; a user funds a ledger, asks through `zg compute ask` (streamed
 * and verified against the exact bytes) and through the official `openai` client with an `app-sk-…` key; `zg compute
 * verify` re-executes the answer; the provider SIGKILLed with usage unsettled settles it exactly once after a restart;
 * a lying provider's wrong answer is disputed and slashed by the verifier's vote, and a dispute of a correct answer is
 * rejected.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type BackendRequest,
  type BackendResponse,
  Broker,
  ComputeChain,
  DisputeChain,
  loadModel,
  type ModelBackend,
  RequestJournal,
  RpcBrokerChain,
  RuntimeBackend,
} from "@zerog/compute";
import { createSilentLogger, hexToBytes } from "@zerog/core";
import OpenAI from "openai";
import { type Hex, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  freePorts,
  makeTempDir,
  runZg,
  spawnZg,
  trackForeignPid,
  untrackForeignPid,
  useE2ECleanup,
} from "./helpers/processes.js";

useE2ECleanup();

interface Manifest {
  rpcUrls: string[];
  accounts: { address: Hex; privateKey: Hex }[];
  nodes: { name: string; role: string; pid: number; rpc: string; dataDir: string }[];
}

const datadir = makeTempDir("zg-compute-");
let manifest: Manifest;
let provider: { address: Hex; url: string; dataDir: string; pid: number };
const zg = (...args: string[]) => runZg([...args, "--datadir", datadir], { timeoutMs: 120_000 });
const json = <T>(r: { code: number | null; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

async function userChain(i = 0): Promise<ComputeChain> {
  return ComputeChain.connect({ rpcUrl: manifest.rpcUrls[0]!, privateKey: manifest.accounts[i]!.privateKey });
}

async function waitFor<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const [rpcPort, p2pPort, computePort] = [await freePort(), await freePort(), await freePorts(2)];
  const args = ["devnet", "--datadir", datadir, "--rpc.port", String(rpcPort), "--p2p.port", String(p2pPort)];
  args.push("--storage.nodes", "0", "--da.signers", "0", "--compute.port", String(computePort), "--log-level", "warn");
  const sup = spawnZg("zg devnet", args, { logFile: join(datadir, "supervisor.log") });
  await sup.waitForOutput(/zerog devnet running/, 120_000);
  manifest = JSON.parse(readFileSync(join(datadir, "devnet", "devnet.json"), "utf8")) as Manifest;
  for (const n of manifest.nodes) trackForeignPid(n.pid);
  const p = manifest.nodes.find((n) => n.role === "compute-provider")!;
  const key = JSON.parse(readFileSync(join(p.dataDir, "compute_key.json"), "utf8")) as { privateKey: Hex };
  provider = { address: privateKeyToAccount(key.privateKey).address, url: p.rpc, dataDir: p.dataDir, pid: p.pid };
}, 180_000);

describe("0G Compute on a devnet", () => {
  it("lists the devnet's provider: the built-in model, re-executable (OpML), its weights hash, staked", async () => {
    const services = json<{ provider: string; url: string; model: string; verifiability: string; additionalInfo: string }[]>(
      await zg("compute", "services", "--json"),
    );
    const s = services.find((x) => x.provider.toLowerCase() === provider.address.toLowerCase());
    expect(s).toBeDefined();
    expect(s!.url).toBe(provider.url);
    expect(s!.verifiability).toBe("OpML");
    expect(JSON.parse(s!.additionalInfo).weights).toBe(`sha256:${loadModel().sha256}`);
    const verifier = manifest.nodes.find((n) => n.role === "compute-verifier")!;
    const status = (await (await fetch(`${verifier.rpc}/status`)).json()) as { verifier: string; weights: string };
    expect(status.weights).toBe(`sha256:${loadModel().sha256}`);
  });

  it("a user funds a ledger, asks (streamed), and the answer verifies and re-executes to the same bytes", async () => {
    json(await zg("compute", "ledger", "create", "20", "--json"));
    const ask = json<{ chatId: string; text: string; verified: boolean; problems: string[]; usage: { completionTokens: number } }>(
      await zg("compute", "ask", provider.address, "What is zerog?", "--max-tokens", "24", "--top-up", "5", "--json"),
    );
    expect(ask.problems).toEqual([]);
    expect(ask.verified).toBe(true);
    expect(ask.text.length).toBeGreaterThan(0);
    expect(ask.usage.completionTokens).toBeGreaterThan(0);
    const v = json<{ verdict: string }>(await zg("compute", "verify", ask.chatId, "--json"));
    expect(v.verdict).toBe("correct");
    // The same prompt asked again gives the same text: the model is deterministic.
    const again = json<{ text: string }>(await zg("compute", "ask", provider.address, "What is zerog?", "--max-tokens", "24", "--json"));
    expect(again.text).toBe(ask.text);
  });

  it("the openai client with an app-sk key completes chat requests, streaming and not", async () => {
    // Another user (account 2), so that account 0's sub-account holds only what its kept requests cost.
    const key = ["--key", manifest.accounts[2]!.privateKey];
    json(await zg("compute", "ledger", "create", "10", ...key, "--json"));
    json(await zg("compute", "ledger", "transfer", provider.address, "5", ...key, "--json"));
    const t = json<{ apiKey: string; baseURL: string; model: string }>(await zg("compute", "token", provider.address, ...key, "--json"));
    expect(t.apiKey).toMatch(/^app-sk-/);
    const client = new OpenAI({ apiKey: t.apiKey, baseURL: t.baseURL });
    const r = await client.chat.completions.create({ model: t.model, messages: [{ role: "user", content: "Hello" }], max_tokens: 16 });
    expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    let streamed = "";
    const stream = await client.chat.completions.create({
      model: t.model,
      messages: [{ role: "user", content: "Hello" }],
      max_tokens: 16,
      stream: true,
    });
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
    expect(streamed).toBe(r.choices[0]!.message.content);
    // A forged key (another address's token signed by this user) is refused.
    const bad = new OpenAI({ apiKey: `app-sk-${Buffer.from('{"address":"0x0"}|0x00').toString("base64")}`, baseURL: t.baseURL });
    await expect(bad.chat.completions.create({ model: t.model, messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 401,
    });
  });

  it("usage unsettled when the provider is SIGKILLed settles exactly once after a restart", async () => {
    const chain = await userChain();
    const journal = new RequestJournal(join(datadir, "compute", "requests"));
    const fees = () =>
      journal
        .list()
        .filter((r) => r.provider.toLowerCase() === provider.address.toLowerCase())
        .reduce((n, r) => n + BigInt((r.signature as { receipt: { fee: string } }).receipt.fee), 0n);
    // The sub-account got 5 ZG once (the first ask's top-up); every kept answer's fee must leave it exactly once,
    // whether the provider settled some of it before the kill (after 60 s) or not.
    const funded = parseEther("5");
    json(await zg("compute", "ask", provider.address, "One more question", "--max-tokens", "8", "--json"));
    const owed = fees();
    expect(owed).toBeGreaterThan(0n);
    process.kill(provider.pid, "SIGKILL");
    untrackForeignPid(provider.pid);
    await waitFor("the provider to die", async () => {
      try {
        process.kill(provider.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const port = new URL(provider.url).port;
    const args = ["compute", "serve", "--chain-rpc", manifest.rpcUrls[0]!, "--rpc.port", port, "--url", provider.url, "--model", "builtin"];
    args.push("--data-dir", provider.dataDir, "--key-file", join(provider.dataDir, "compute_key.json"), "--settle-interval", "500");
    const restarted = spawnZg("provider", args, { logFile: join(datadir, "provider-restarted.log") });
    const after = await waitFor("the settlement", async () => {
      const a = await chain.getAccount(provider.address);
      return a && a.nonce > 0n && funded - a.balance === owed ? a : null;
    });
    expect(funded - after.balance).toBe(owed);
    // A second pass of the settler finds nothing more to charge.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await chain.getAccount(provider.address))!.balance).toBe(after.balance);
    // The watcher now samples the settled answers (all of them with --share 1) and finds each correct.
    const w = await zg("compute", "watch", "--share", "1", "--json");
    expect(w.code, w.stderr).toBe(0);
    const verdicts = w.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { verdict: string });
    expect(verdicts.length).toBe(journal.list().length);
    expect(verdicts.every((v) => v.verdict === "correct")).toBe(true);
    // It keeps serving for the tests below; the cleanup stops it.
    expect(restarted.alive).toBe(true);
  });

  describe("disputes", () => {
    let liar: Broker;
    let liarAddress: Hex;
    let backend: RuntimeBackend;

    beforeAll(async () => {
      const key = generatePrivateKey();
      liarAddress = privateKeyToAccount(key).address;
      const funder = await userChain(1);
      await funder.client.waitForTransactionReceipt({
        hash: await funder.wallet!.sendTransaction({
          to: liarAddress,
          value: parseEther("200"),
          account: funder.account!,
          chain: funder.wallet!.chain,
        }),
      });
      backend = new RuntimeBackend({ workers: 0 }, { model: loadModel(), now: () => Math.floor(Date.now() / 1000) });
      liar = new Broker(
        {
          port: await freePort(),
          dataDir: join(datadir, "liar"),
          settlement: { thresholdWei: 10n ** 30n, intervalMs: 3_600_000 } as never,
        },
        {
          chain: await RpcBrokerChain.connect({ rpcUrl: manifest.rpcUrls[0]!, privateKey: key }),
          backend: new LyingBackend(backend),
          signerKey: hexToBytes(key),
          logger: createSilentLogger(),
        },
      );
      await liar.start();
    }, 60_000);

    afterAll(async () => {
      await liar?.stop();
      await backend?.close();
    });

    it("a wrong answer is disputed; the verifier re-executes it and the provider is slashed", async () => {
      const ask = json<{ chatId: string; verified: boolean }>(
        await zg("compute", "ask", liarAddress, "Tell me about storage", "--max-tokens", "16", "--no-stream", "--top-up", "2", "--json"),
      );
      expect(ask.verified).toBe(true); // signatures are fine: the provider did sign this wrong answer
      // A wrong answer makes `verify` exit 1 (for scripts), after it has opened the dispute.
      const r = await zg("compute", "verify", ask.chatId, "--dispute", "--json");
      expect(r.code, r.stderr).toBe(1);
      const v = JSON.parse(r.stdout) as { verdict: string; disputeId: string; details: string[] };
      expect(v.verdict).toBe("wrong");
      expect(v.details.join("\n")).toMatch(/text differs at character 0/);
      const disputes = new DisputeChain(await userChain());
      const d = await waitFor("the verifier's vote", async () => {
        const s = await disputes.getDispute(BigInt(v.disputeId));
        return s.outcome !== 0 ? s : null;
      });
      expect(d.outcome).toBe(1);
      expect(d.slashed).toBe(50n * 10n ** 18n);
      expect(await disputes.withdrawable(manifest.accounts[0]!.address)).toBeGreaterThanOrEqual(50n * 10n ** 18n);
      const shown = json<{ outcome: number }>(await zg("compute", "dispute", v.disputeId, "--json"));
      expect(shown.outcome).toBe(1);
    });

    it("a dispute of a correct answer is rejected and the bond goes to the provider", async () => {
      const ask = json<{ chatId: string }>(await zg("compute", "ask", provider.address, "Is this right?", "--max-tokens", "8", "--json"));
      const record = new RequestJournal(join(datadir, "compute", "requests")).get(ask.chatId);
      const sig = record.signature as { receipt: never; receipt_signature: string };
      const { receiptFromJSON } = await import("@zerog/compute");
      const disputes = new DisputeChain(await userChain());
      const id = await disputes.openDispute({
        receipt: receiptFromJSON(sig.receipt),
        signature: sig.receipt_signature,
        request: record.requestBytes,
        response: record.responseBytes,
      });
      const d = await waitFor("the verifier's vote", async () => {
        const s = await disputes.getDispute(id);
        return s.outcome !== 0 ? s : null;
      });
      expect(d.outcome).toBe(2);
      expect(d.slashed).toBe(0n);
    });
  });

  it("bad input gets clear errors and a non-zero exit", async () => {
    const cases: [string[], RegExp][] = [
      [["compute", "ask", "0x1234", "hi"], /provider must be a 20-byte hex address/],
      [["compute", "ask", `0x${"ab".repeat(20)}`, "hi"], /has no inference service on chain/],
      [["compute", "ledger", "deposit", "lots"], /amount of ZG/],
      [["compute", "verify", "no-such-chat"], /no request no-such-chat/],
      [["compute", "token", provider.address, "--hours", "48"], /at most 24 hours/],
    ];
    for (const [args, message] of cases) {
      const r = await zg(...args);
      expect(r.code, `${args.join(" ")}: ${r.stdout}`).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  });
});

/** A provider that serves the built-in model's answer with its text altered: what a dispute must catch. */
class LyingBackend implements ModelBackend {
  readonly model: ModelBackend["model"];

  constructor(private readonly inner: ModelBackend) {
    this.model = inner.model;
  }

  async handle(req: BackendRequest): Promise<BackendResponse> {
    const r = await this.inner.handle({ ...req, stream: false, json: { ...req.json, stream: false } });
    const parts: Uint8Array[] = [];
    for await (const p of r.body) parts.push(p);
    const j = JSON.parse(Buffer.concat(parts).toString("utf8")) as { choices: { message: { content: string } }[] };
    j.choices[0]!.message.content = `Trust me: ${j.choices[0]!.message.content}`;
    const bytes = new TextEncoder().encode(JSON.stringify(j));
    return {
      status: r.status,
      contentType: r.contentType,
      body: (async function* () {
        yield bytes;
      })(),
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
