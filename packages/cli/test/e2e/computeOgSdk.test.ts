/**
 * 0G's own compute SDK (`@0glabs/0g-serving-broker` 0.7.8 = `@0gfoundation/0g-compute-ts-sdk` 0.8.3, unmodified) against
 * zerog: a real `zg devnet` (our LedgerManager and InferenceServing in genesis) and two in-process zerog brokers
 * (`Broker` + `EchoBackend`), one registered as "OpML" (what the built-in model registers) and one as "" (what an
 * OpenAI upstream registers). With nothing but the SDK a user lists the services, creates and funds a ledger and
 * sub-accounts, gets 0G session headers our broker accepts, verifies our chat signatures with `processResponse`,
 * revokes tokens, sees our broker's settlement, and starts refunds. What cannot work offline or without a TEE is
 * asserted as it behaves, with the reason (README "0G's compute SDK").
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  Broker,
  defaultSettlementOptions,
  EchoBackend,
  type ModelBackend,
  parseSessionToken,
  RpcBrokerChain,
  verifyChatSignature,
  verifySessionTokenSignature,
} from "@zerog/compute";
import { COMPUTE_SYSTEM_CONTRACTS } from "@zerog/contracts";
import { createSilentLogger, hexToBytes } from "@zerog/core";
import OpenAI from "openai";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort, makeTempDir, spawnZg, trackForeignPid, useE2ECleanup } from "./helpers/processes.js";

useE2ECleanup();

// The SDK ships CommonJS that requires ethers, and checks `signer instanceof Wallet` (fine-tuning needs a Wallet): the
// Wallet must come from the same (CommonJS) ethers, as it does for the SDK's users.
const require = createRequire(import.meta.url);
const og = require("@0glabs/0g-serving-broker") as typeof import("@0glabs/0g-serving-broker");
const { ethers } = require("ethers") as typeof import("ethers", { with: { "resolution-mode": "require" }});

const E = 10n ** 18n;
const PRICES = { inputPrice: 1_000_000_000n, outputPrice: 3_000_000_000n };
const sha256hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

interface Manifest {
  rpcUrls: string[];
  accounts: { address: Hex; privateKey: Hex }[];
  nodes: { role: string; pid: number }[];
}

/** An EchoBackend registered as "OpML", as the built-in model (`RuntimeBackend`) registers (its weights are not in the repo). */
function opmlEcho(): ModelBackend {
  const echo = new EchoBackend();
  return { model: { ...echo.model, verifiability: "OpML" }, handle: (r) => echo.handle(r), close: () => echo.close() };
}

const datadir = makeTempDir("zg-ogcompute-");
let rpcUrl: string;
let user: { address: Hex; privateKey: Hex };
let opml: { broker: Broker; address: string };
let plain: { broker: Broker; address: string };
let sdk: Awaited<ReturnType<typeof og.createZGComputeNetworkBroker>>;
let provider: InstanceType<typeof ethers.JsonRpcProvider>;
const brokers: Broker[] = [];
/** What the SDK printed (console.log/warn: tx hashes, network detection), kept out of the test output. */
const printed: string[] = [];
/** Fees our brokers billed, from the `usage` of each answer. */
const billed = new Map<string, bigint>();

async function startBroker(key: Hex, backend: ModelBackend, name: string): Promise<{ broker: Broker; address: string }> {
  const broker = new Broker(
    {
      port: 0,
      dataDir: join(datadir, name),
      ...PRICES,
      // Every request reads the sub-account from the chain, so a revocation is seen by the next request.
      accountCacheMs: 0,
      settlement: { ...defaultSettlementOptions, checkMs: 3_600_000, intervalMs: 3_600_000, thresholdWei: 10n ** 30n },
    },
    { chain: await RpcBrokerChain.connect({ rpcUrl, privateKey: key }), backend, signerKey: hexToBytes(key), logger: createSilentLogger() },
  );
  brokers.push(broker);
  await broker.start();
  return { broker, address: ethers.getAddress(broker.provider) };
}

function bill(providerAddress: string, usage: { prompt_tokens: number; completion_tokens: number }): void {
  const fee = BigInt(usage.prompt_tokens) * PRICES.inputPrice + BigInt(usage.completion_tokens) * PRICES.outputPrice;
  billed.set(providerAddress, (billed.get(providerAddress) ?? 0n) + fee);
}

/** A chat request as 0G's README makes it: fetch with the SDK's headers. */
async function chat(endpoint: string, headers: Record<string, string>, content: string) {
  const body = JSON.stringify({ model: "echo", messages: [{ role: "user", content }] });
  const res = await fetch(`${endpoint}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, bytes, json: JSON.parse(Buffer.from(bytes).toString("utf8")) };
}

const headersOf = async (p: string) => (await sdk.inference.getRequestHeaders(p)) as unknown as Record<string, string>;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void printed.push(a.join(" ")));
  vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => void printed.push(a.join(" ")));
  const args = ["devnet", "--datadir", datadir, "--rpc.port", String(await freePort()), "--p2p.port", String(await freePort())];
  args.push("--storage.nodes", "0", "--da.signers", "0", "--compute.providers", "0", "--log-level", "warn");
  const sup = spawnZg("zg devnet", args, { logFile: join(datadir, "supervisor.log") });
  await sup.waitForOutput(/zerog devnet running/, 90_000);
  const manifest = JSON.parse(readFileSync(join(datadir, "devnet", "devnet.json"), "utf8")) as Manifest;
  for (const n of manifest.nodes) trackForeignPid(n.pid);
  rpcUrl = manifest.rpcUrls[0]!;
  // Two providers and a user, each a funded devnet account (10,000 ZG; a provider stakes 100 ZG on registration).
  opml = await startBroker(manifest.accounts[5]!.privateKey, opmlEcho(), "opml");
  plain = await startBroker(manifest.accounts[6]!.privateKey, new EchoBackend(), "plain");
  user = manifest.accounts[7]!;
  // Polling every 100 ms instead of ethers' 4 s, so each of the SDK's transactions is confirmed within a block or two.
  provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 100 });
}, 150_000);

afterAll(async () => {
  for (const b of brokers.reverse()) await b.stop();
  provider?.destroy();
  vi.restoreAllMocks();
});

describe("0G's compute SDK against zerog's contracts and broker", () => {
  it("createZGComputeNetworkBroker: chain 31337 is 'hardhat' to the SDK, whose addresses are not ours, so ours are passed", async () => {
    const wallet = new ethers.Wallet(user.privateKey, provider);
    sdk = await og.createZGComputeNetworkBroker(wallet, COMPUTE_SYSTEM_CONTRACTS.LedgerManager, COMPUTE_SYSTEM_CONTRACTS.InferenceServing);
    expect(printed).toContain("Detected hardhat (chain ID: 31337)");
    // The SDK's defaults for 31337 are a hardhat deployment's CREATE addresses; our contracts are genesis accounts.
    for (const a of Object.values(og.CONTRACT_ADDRESSES.hardhat)) expect(await provider.getCode(a)).toBe("0x");
    expect(sdk.ledger).toBeDefined();
    expect(sdk.inference).toBeDefined();
    // A Wallet gets a fine-tuning broker too, on the hardhat default (zerog has no FineTuningServing): its calls fail,
    // and the ledger, which asked our LedgerManager for that address's service name and got none, refuses the type.
    expect(sdk.fineTuning).toBeDefined();
    await expect(sdk.fineTuning!.getLockedTime()).rejects.toThrow(/could not decode result data/); // no code there
    await expect(sdk.ledger.transferFund(opml.address, "fine-tuning", E)).rejects.toThrow(/Service name not available for fine-tuning/);
  });

  it("listService: both providers, with 0G's Service fields as our brokers registered them", async () => {
    const services = await sdk.inference.listService();
    const pick = (s: (typeof services)[number]) => ({
      provider: s.provider,
      serviceType: s.serviceType,
      url: s.url,
      inputPrice: s.inputPrice,
      outputPrice: s.outputPrice,
      model: s.model,
      verifiability: s.verifiability,
      additionalInfo: s.additionalInfo,
      teeSignerAddress: s.teeSignerAddress,
      teeSignerAcknowledged: s.teeSignerAcknowledged,
    });
    const byProvider = new Map(services.map((s) => [s.provider, s]));
    const a = byProvider.get(opml.address);
    const b = byProvider.get(plain.address);
    expect(a && pick(a)).toEqual({
      provider: opml.address,
      serviceType: "chatbot",
      url: opml.broker.url,
      ...PRICES,
      model: "echo",
      verifiability: "OpML",
      additionalInfo: JSON.stringify({ backend: "echo" }),
      // The broker signs with its provider key; our contract acknowledges the signer on registration (no TEE owner
      // attestation), which is what lets listService (acknowledged services only, by default) show it.
      teeSignerAddress: opml.address,
      teeSignerAcknowledged: true,
    });
    expect(a!.updatedAt).toBeGreaterThan(0n);
    expect(b && pick(b)).toMatchObject({ provider: plain.address, url: plain.broker.url, verifiability: "", teeSignerAcknowledged: true });

    // The read-only broker takes no addresses: pointed at ours by hand it lists the same; created from the RPC URL it
    // looks up the hardhat address, where there is no contract.
    const readOnly = new og.ReadOnlyInferenceBroker(provider, COMPUTE_SYSTEM_CONTRACTS.InferenceServing);
    expect((await readOnly.listService()).map((s) => s.provider).sort()).toEqual(services.map((s) => s.provider).sort());
    const byUrl = await og.createZGComputeNetworkReadOnlyBroker(rpcUrl);
    await expect(byUrl.inference.listService()).rejects.toThrow(/could not decode result data/);
  });

  it("ledger: getLedger before one exists, addLedger, depositFund; a second addLedger is refused", async () => {
    await expect(sdk.ledger.getLedger()).rejects.toThrow(/Account does not exist/); // our LedgerNotExists(user), decoded by the SDK
    await sdk.ledger.addLedger(5);
    const l = await sdk.ledger.getLedger();
    expect({ user: l.user, total: l.totalBalance, available: l.availableBalance, info: l.additionalInfo }).toEqual({
      user: ethers.getAddress(user.address),
      total: 5n * E,
      available: 5n * E,
      info: "",
    });
    await sdk.ledger.depositFund(5);
    expect((await sdk.ledger.getLedger()).totalBalance).toBe(10n * E);
    await expect(sdk.ledger.addLedger(3)).rejects.toThrow(/Account already exists/); // LedgerExists(user)
  });

  it("sub-accounts: acknowledgeProviderSigner creates one (1 ZG) and acknowledges; transferFund tops it up", async () => {
    await expect(sdk.inference.getAccount(opml.address)).rejects.toThrow(/Sub-account not found/); // AccountNotExists
    await sdk.inference.acknowledgeProviderSigner(opml.address);
    let acc = await sdk.inference.getAccount(opml.address);
    expect({ user: acc.user, provider: acc.provider, balance: acc.balance, acknowledged: acc.acknowledged }).toEqual({
      user: ethers.getAddress(user.address),
      provider: opml.address,
      balance: E,
      acknowledged: true,
    });
    expect(acc.generation).toBe(0n);
    expect(await sdk.inference.acknowledged(opml.address)).toBe(true);
    expect(await sdk.inference.checkProviderSignerStatus(opml.address)).toEqual({ isAcknowledged: true, teeSignerAddress: opml.address });

    await sdk.ledger.transferFund(opml.address, "inference", 2n * E);
    const [detail, refunds] = await sdk.inference.getAccountWithDetail(opml.address);
    expect(detail.balance).toBe(3n * E);
    expect(refunds).toEqual([]);
    // The ledger finds its providers under the name our LedgerManager gives InferenceServing ("inference-v1.0").
    const withDetail = await sdk.ledger.ledger.getLedgerWithDetail();
    expect(withDetail.ledgerInfo).toEqual([10n * E, 3n * E, 7n * E]);
    expect(withDetail.infers).toEqual([[opml.address, 3n * E, 0n]]);
    acc = await sdk.inference.getAccount(opml.address);
    expect(acc.nonce).toBe(0n);
  });

  it("getServiceMetadata and getRequestHeaders: our broker accepts the SDK's session token and answers", async () => {
    const meta = await sdk.inference.getServiceMetadata(opml.address);
    expect(meta).toEqual({ endpoint: `${opml.broker.url}/v1/proxy`, model: "echo" });
    const headers = await headersOf(opml.address);
    expect(Object.keys(headers)).toEqual(["Authorization"]);
    expect(headers.Authorization).toMatch(/^Bearer app-sk-/);
    // Byte for byte our v3 token: the same fields in the same order, signed as we check it.
    const parsed = parseSessionToken(headers.Authorization);
    expect(Object.keys(JSON.parse(parsed.rawMessage))).toEqual([
      "address",
      "provider",
      "timestamp",
      "expiresAt",
      "nonce",
      "generation",
      "tokenId",
    ]);
    expect(parsed.token).toMatchObject({ address: ethers.getAddress(user.address), provider: opml.address, generation: 0, tokenId: 255 });
    expect(parsed.token.expiresAt - parsed.token.timestamp).toBe(86_400_000);
    expect(verifySessionTokenSignature(parsed)).toBe(user.address.toLowerCase());
    // getRequestHeaders first tops the sub-account up to 2 ZG (its auto-funding) after asking the provider for the
    // unsettled fee (GET /v1/user/<user>/unsettledfee, which our broker serves). 3 ZG is enough, so nothing was sent.
    expect((await sdk.inference.getAccount(opml.address)).balance).toBe(3n * E);

    const r = await chat(meta.endpoint, headers, "Hello from 0G's SDK");
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("echo: Hello from 0G's SDK");
    expect(r.headers.get("provider")).toBe(opml.broker.provider);
    bill(opml.address, r.json.usage);
    const chatID = r.headers.get("ZG-Res-Key")!;
    expect(chatID).toMatch(/^[0-9a-f-]{36}$/);

    // processResponse: "OpML", acknowledged signer, JSON additionalInfo → it fetches /v1/proxy/signature/<chatID>
    // and recovers the signer of the text. It also adds the usage to its fee count.
    expect(await sdk.inference.processResponse(opml.address, chatID, JSON.stringify(r.json.usage))).toBe(true);
    // What the SDK does not check and we do: the text is sha256(request bytes) ":" sha256(response bytes).
    const sig = (await (await fetch(await sdk.inference.getChatSignatureDownloadLink(opml.address, chatID))).json()) as {
      text: string;
      signature: string;
      signing_address: string;
    };
    expect(sig.text).toBe(`${sha256hex(r.body)}:${sha256hex(r.bytes)}`);
    expect(
      verifyChatSignature({ requestBytes: new TextEncoder().encode(r.body), responseBytes: r.bytes, ...sig, signingAddress: opml.address }),
    ).toBe(true);
    // The fallback id 0G's docs mention (`completion.id`) is not a key of ours; like 0G's current broker, the
    // signature is kept under the ZG-Res-Key only.
    await expect(sdk.inference.processResponse(opml.address, r.json.id)).rejects.toThrow(/getting signature error/);
    expect(await sdk.inference.processResponse(opml.address)).toBeNull(); // no chat id: nothing to verify
  });

  it("the openai client with the SDK's endpoint and key, streaming: the signature of the SSE bytes verifies", async () => {
    const { endpoint, model } = await sdk.inference.getServiceMetadata(opml.address);
    const apiKey = (await headersOf(opml.address)).Authorization!.slice("Bearer ".length);
    const client = new OpenAI({ baseURL: endpoint, apiKey });
    const { data: stream, response } = await client.chat.completions
      .create({ model, messages: [{ role: "user", content: "stream it" }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let text = "";
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) bill(opml.address, chunk.usage);
    }
    expect(text).toBe("echo: stream it");
    expect(await sdk.inference.processResponse(opml.address, response.headers.get("ZG-Res-Key")!)).toBe(true);
  });

  it("a service registered with verifiability '' (an OpenAI upstream) serves, but processResponse says false", async () => {
    await sdk.inference.acknowledgeProviderSigner(plain.address);
    expect((await sdk.inference.getAccount(plain.address)).balance).toBe(E);
    // The SDK's auto-funding against our ledger: 1 ZG is below the 2 ZG it keeps, so it transfers the difference.
    const headers = await headersOf(plain.address);
    expect((await sdk.inference.getAccount(plain.address)).balance).toBe(2n * E);
    const r = await chat(`${plain.broker.url}/v1/proxy`, headers, "plain");
    expect(r.status).toBe(200);
    bill(plain.address, r.json.usage);
    const chatID = r.headers.get("ZG-Res-Key")!;
    // 0G's SDK verifies only "OpML" | "TeeML" | "ZKML" services (logs "this service is not verifiable"); the answer is
    // signed all the same, and our own check verifies it.
    expect(await sdk.inference.processResponse(plain.address, chatID)).toBe(false);
    expect(printed.some((l) => l.includes("this service is not verifiable"))).toBe(true);
    const sig = (await (await fetch(`${plain.broker.url}/v1/proxy/signature/${chatID}`)).json()) as { text: string; signature: string };
    expect(
      verifyChatSignature({
        requestBytes: new TextEncoder().encode(r.body),
        responseBytes: r.bytes,
        ...sig,
        signingAddress: plain.address,
      }),
    ).toBe(true);
  });

  it("revokeAllTokens and revokeApiKey: our broker refuses the revoked tokens (401 revoked) and takes the new ones", async () => {
    const old = await headersOf(opml.address);
    const before = await chat(`${opml.broker.url}/v1/proxy`, old, "before");
    expect(before.status).toBe(200);
    bill(opml.address, before.json.usage);
    await sdk.inference.revokeAllTokens(opml.address);
    expect((await sdk.inference.getAccount(opml.address)).generation).toBe(1n);
    const refused = await chat(`${opml.broker.url}/v1/proxy`, old, "after");
    expect(refused.status).toBe(401);
    expect(refused.json.error).toMatchObject({ type: "authentication_error", code: "revoked" });
    const fresh = await headersOf(opml.address);
    expect(parseSessionToken(fresh.Authorization).token.generation).toBe(1);
    const ok = await chat(`${opml.broker.url}/v1/proxy`, fresh, "after");
    expect(ok.status).toBe(200);
    bill(opml.address, ok.json.usage);

    // A persistent API key (tokenId 0–254, no expiry), then revoked by its bit.
    const key = await sdk.inference.requestProcessor.createApiKey(opml.address, { tokenId: 3 });
    expect(key.tokenId).toBe(3);
    const withKey = { Authorization: `Bearer ${key.rawToken}` };
    const served = await chat(`${opml.broker.url}/v1/proxy`, withKey, "api key");
    expect(served.status).toBe(200);
    bill(opml.address, served.json.usage);
    await sdk.inference.revokeApiKey(opml.address, 3);
    const revoked = await chat(`${opml.broker.url}/v1/proxy`, withKey, "api key");
    expect(revoked.status).toBe(401);
    expect(revoked.json.error.code).toBe("revoked");
  });

  it("our broker's settlement shows in the SDK's getAccount; retrieveFund starts the refunds; refund pays the ledger out", async () => {
    const owed = billed.get(opml.address)!;
    expect(opml.broker.unsettledOf(user.address)).toBe(owed);
    await opml.broker.settleNow();
    const acc = await sdk.inference.getAccount(opml.address);
    expect(acc.balance).toBe(3n * E - owed);
    expect(acc.nonce).toBeGreaterThan(0n);

    // retrieveFund: every sub-account's balance becomes a pending refund, locked for the contract's lockTime (120 s on
    // a devnet, so the funds do not come back to the ledger within this test).
    await sdk.ledger.retrieveFund("inference");
    const [a, refunds] = await sdk.inference.getAccountWithDetail(opml.address);
    expect(a.pendingRefund).toBe(3n * E - owed);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount).toBe(3n * E - owed);
    expect(refunds[0]!.remainTime).toBeGreaterThan(60n);
    expect(refunds[0]!.remainTime).toBeLessThanOrEqual(120n);
    expect((await sdk.inference.getAccount(plain.address)).pendingRefund).toBe(2n * E);
    // With everything pending refund, nothing is left to pay for a request: 402 from our broker.
    // (getHeader: the headers without getRequestHeaders' auto-funding, which would transfer again.)
    const header = (await sdk.inference.requestProcessor.getHeader(opml.address)) as unknown as Record<string, string>;
    const { json, status } = await chat(`${opml.broker.url}/v1/proxy`, header, "x");
    expect(status).toBe(402);
    expect(json.error.type).toBe("insufficient_balance");

    // The settlement was spent from the ledger too (LedgerManager.spendFund): its total is 10 ZG less the fees.
    expect((await sdk.ledger.getLedger()).totalBalance).toBe(10n * E - owed);
    // refund: from the ledger's available balance (10 − 3 − 2 = 5 ZG) back to the wallet.
    const before = await provider.getBalance(user.address);
    await sdk.ledger.refund(1);
    const l = await sdk.ledger.getLedger();
    expect([l.totalBalance, l.availableBalance]).toEqual([9n * E - owed, 4n * E]);
    const gained = (await provider.getBalance(user.address)) - before;
    expect(gained).toBeGreaterThan(E - E / 100n); // 1 ZG less gas
    expect(gained).toBeLessThan(E);
    // 0G's rules, through the SDK's error decoding: what stays in the ledger is 0 or at least 3 ZG; deleteLedger needs a
    // zero balance (the sub-accounts' refunds are still locked).
    await expect(sdk.ledger.refund(2)).rejects.toThrow(/MinimumDepositRequired/);
    await expect(sdk.ledger.deleteLedger()).rejects.toThrow(/MustWithdrawAllFundsFirst/);
  });

  it("TEE attestation: there is none to download or verify (the signer is bound by stake and disputes instead)", async () => {
    // verifyService downloads GET <url>/v1/quote (a TDX quote and GPU evidence) and checks it; zerog serves none.
    await expect(sdk.inference.verifyService(opml.address, makeTempDir("zg-ogcompute-verify-"))).rejects.toThrow(/HTTP error! Status: 404/);
    await expect(sdk.inference.downloadQuoteReport(opml.address, join(datadir, "quote.json"))).rejects.toThrow(/404/);
    const ra = await sdk.inference.getSignerRaDownloadLink(opml.address);
    expect(ra).toBe(`${opml.broker.url}/v1/proxy/attestation/report`);
    expect((await fetch(ra)).status).toBe(404);
  });
});
