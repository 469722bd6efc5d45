import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  COMPUTE_SYSTEM_CONTRACTS,
  DEVNET_COMPUTE_PARAMS,
  inferenceDisputesAbi,
  inferenceServingAbi,
  ledgerManagerAbi,
} from "@zerog/contracts";
import { bytesToHex, createSilentLogger, type Hex, keccak256 } from "@zerog/core";
import { type Abi, encodeFunctionData } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAIN_ID, ComputeHarness, decodeRevert } from "../../../contracts/test/unit/computeHarness.js";
import type { ModelBackend } from "../../src/backend.js";
import { EchoBackend } from "../../src/broker/backends/echoBackend.js";
import { Broker } from "../../src/broker/broker.js";
import type {
  BrokerAccount,
  BrokerChain,
  BrokerService,
  ServiceParams,
  SettlementData,
  SignedTx,
  TxStatus,
} from "../../src/broker/brokerChain.js";
import { receiptFromJSON } from "../../src/client/chatSignature.js";
import { createSessionToken } from "../../src/client/sessionToken.js";
import { addressOf, chatBody, echoFee, get, keyOf, post } from "./brokerHarness.js";

const E = 10n ** 18n;
const { LedgerManager: LEDGER, InferenceServing: SERVING, InferenceDisputes: DISPUTES } = COMPUTE_SYSTEM_CONTRACTS;
const SERVING_ABI = inferenceServingAbi as Abi;
const lower = (a: string) => a.toLowerCase() as Hex;

/** BrokerChain over zerog's Solidity InferenceServing, run in an ethereumjs EVM (the contracts' test harness). */
class EvmBrokerChain implements BrokerChain {
  readonly chainId = Number(CHAIN_ID);
  readonly servingContract = lower(SERVING);
  readonly receipts = new Map<Hex, { ok: boolean; gas: bigint; revert?: string }>();
  private nonce = 0;

  constructor(
    private readonly h: ComputeHarness,
    readonly providerAddress: Hex,
  ) {}

  async getAccount(user: Hex): Promise<BrokerAccount | null> {
    if (!(await this.h.view<boolean>(SERVING_ABI, SERVING, "accountExists", [user, this.providerAddress]))) return null;
    const a = await this.h.view<BrokerAccount>(SERVING_ABI, SERVING, "getAccount", [user, this.providerAddress]);
    return { ...a, user: lower(a.user), provider: lower(a.provider) };
  }

  async getService(provider: Hex): Promise<BrokerService | null> {
    if (!(await this.h.view<boolean>(SERVING_ABI, SERVING, "serviceExists", [provider]))) return null;
    const s = await this.h.view<BrokerService>(SERVING_ABI, SERVING, "getService", [provider]);
    return { ...s, provider: lower(s.provider), teeSignerAddress: lower(s.teeSignerAddress) };
  }

  async addOrUpdateService(p: ServiceParams, value: bigint): Promise<void> {
    await this.h.send(SERVING_ABI, this.providerAddress, SERVING, "addOrUpdateService", [p], value);
  }

  async signSettlement(items: readonly SettlementData[]): Promise<SignedTx> {
    const raw = encodeFunctionData({ abi: inferenceServingAbi, functionName: "settleFeesWithTEE", args: [items.map((i) => ({ ...i }))] });
    const nonce = this.nonce++;
    return { raw, hash: bytesToHex(keccak256(new TextEncoder().encode(`${nonce}${raw}`))), nonce };
  }

  async send(tx: SignedTx): Promise<void> {
    if (this.receipts.has(tx.hash)) return;
    const r = await this.h.call(this.providerAddress, SERVING, tx.raw);
    this.receipts.set(tx.hash, r.ok ? { ok: true, gas: r.gas } : { ok: false, gas: r.gas, revert: decodeRevert(r.ret).errorName });
  }

  async status(tx: SignedTx): Promise<TxStatus> {
    const r = this.receipts.get(tx.hash);
    return r ? (r.ok ? "success" : "reverted") : "missing";
  }
}

describe("broker against zerog's InferenceServing (EVM)", () => {
  const providerKey = keyOf("evm provider");
  const provider = addressOf(providerKey);
  const userKey = keyOf("evm user");
  const user = addressOf(userKey);
  const owner = addressOf(keyOf("evm owner"));
  const verifier = addressOf(keyOf("evm verifier"));
  const challenger = addressOf(keyOf("evm challenger"));
  let h: ComputeHarness;
  let chain: EvmBrokerChain;
  let broker: Broker;
  let dataDir: string;

  beforeAll(async () => {
    h = await ComputeHarness.create({ ...DEVNET_COMPUTE_PARAMS, owner });
    for (const a of [provider, user, verifier, challenger]) await h.fund(a, 1000n * E);
    chain = new EvmBrokerChain(h, provider);
    const echo = new EchoBackend();
    const backend: ModelBackend = {
      model: { ...echo.model, verifiability: "OpML" },
      handle: (r) => echo.handle(r),
      close: () => echo.close(),
    };
    dataDir = mkdtempSync(join(tmpdir(), "zg-broker-evm-"));
    broker = new Broker(
      { port: 0, dataDir, inputPrice: 10n ** 9n, outputPrice: 3n * 10n ** 9n },
      { chain, backend, signerKey: providerKey, logger: createSilentLogger(), now: () => Number(h.time) * 1000 },
    );
    await broker.start();
    await h.send(ledgerManagerAbi as Abi, user, LEDGER, "addLedger", [""], 10n * E);
    await h.send(ledgerManagerAbi as Abi, user, LEDGER, "transferFund", [provider, "inference-v1.0", 5n * E]);
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("registers the service with its stake, and its settlements pass the contract", async () => {
    const service = await chain.getService(provider);
    expect(service).toMatchObject({ model: "echo", verifiability: "OpML", teeSignerAddress: provider, teeSignerAcknowledged: true });
    const token = await createSessionToken({ privateKey: userKey, provider, now: Number(h.time) * 1000 });
    let fee = 0n;
    for (const [k, c] of ["alpha", "beta gamma", "delta"].entries()) {
      const r = await post(broker.url, "/v1/proxy/chat/completions", chatBody(c, { stream: k === 1 }), token.authorization);
      expect(r.status).toBe(200);
      fee += echoFee(c, 10n ** 9n, 3n * 10n ** 9n);
    }
    const before = await h.balance(provider);
    const s = await broker.settleNow();
    expect(s).toMatchObject({ batches: 1, users: 1, fee });
    const account = (await chain.getAccount(user))!;
    expect(account.balance).toBe(5n * E - fee);
    expect(account.nonce).toBe(BigInt(h.time) * 10_000_000n);
    expect((await h.balance(provider)) - before).toBe(fee);
    expect([...chain.receipts.values()].every((r) => r.ok)).toBe(true);
  });

  it("a provider-signed receipt opens a dispute with the exact bytes", async () => {
    await h.send(inferenceDisputesAbi as Abi, verifier, DISPUTES, "registerVerifier", [], 10n * E);
    const token = await createSessionToken({ privateKey: userKey, provider, now: Number(h.time) * 1000 });
    const body = chatBody("dispute me", { stream: true });
    const r = await post(broker.url, "/v1/proxy/chat/completions", body, token.authorization);
    const sig = (await get(broker.url, `/v1/proxy/signature/${r.headers.get("zg-res-key")}`)).json;
    const receipt = receiptFromJSON(sig.receipt);
    const args = [
      { ...receipt, requestHash: bytesToHex(receipt.requestHash), responseHash: bytesToHex(receipt.responseHash) },
      sig.receipt_signature,
      bytesToHex(new TextEncoder().encode(body)),
      bytesToHex(r.bytes),
    ];
    const opened = await h.call(
      challenger,
      DISPUTES,
      encodeFunctionData({ abi: inferenceDisputesAbi as Abi, functionName: "dispute", args }),
      E,
    );
    expect(opened.ok ? "opened" : decodeRevert(opened.ret).errorName).toBe("opened");
    // One altered response byte no longer matches the receipt.
    const altered = Uint8Array.from(r.bytes);
    altered[0]! ^= 1;
    const bad = await h.call(
      challenger,
      DISPUTES,
      encodeFunctionData({
        abi: inferenceDisputesAbi as Abi,
        functionName: "dispute",
        args: [args[0], args[1], args[2], bytesToHex(altered)],
      }),
      E,
    );
    expect(decodeRevert(bad.ret).errorName).toBe("ResponseHashMismatch");
  });
});
