import { readFileSync } from "node:fs";
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  type AbiParameter,
  decodeEventLog,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  type Hex,
  hashTypedData,
  keccak256,
  type PrivateKeyAccount,
  sha256,
  toBytes,
  toEventSelector,
  toFunctionSelector,
  toFunctionSignature,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

type AbiError = Extract<Abi[number], { type: "error" }>;

import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  COMPUTE_SYSTEM_CONTRACTS,
  type ComputeGenesisParams,
  computeGenesisDeployments,
  contracts,
  DA_SYSTEM_CONTRACTS,
  DEVNET_COMPUTE_PARAMS,
  DisputeOutcome,
  INFERENCE_RECEIPT_TYPES,
  type InferenceReceipt,
  inferenceDisputesAbi,
  inferenceDisputesBytecode,
  inferenceEip712Domain,
  inferenceServingAbi,
  inferenceServingBytecode,
  ledgerManagerAbi,
  ledgerManagerBytecode,
  SettlementStatus,
  STORAGE_SYSTEM_CONTRACTS,
  TEE_SETTLEMENT_TYPES,
} from "../../src/index.js";
import { type CallResult, CHAIN_ID, ComputeHarness, decodeRevert, intrinsicGas } from "./computeHarness.js";

const E = 10n ** 18n;
const { LedgerManager: LEDGER, InferenceServing: SERVING, InferenceDisputes: DISPUTES } = COMPUTE_SYSTEM_CONTRACTS;
const LEDGER_ABI = ledgerManagerAbi as Abi;
const SERVING_ABI = inferenceServingAbi as Abi;
const DISPUTES_ABI = inferenceDisputesAbi as Abi;
const INFERENCE = "inference-v1.0";

const key = (label: string): PrivateKeyAccount => privateKeyToAccount(keccak256(toHex(`zerog compute test ${label}`)));
const OWNER = key("owner").address;
const PROVIDER = key("provider").address;
const PROVIDER2 = key("provider 2").address;
const TEE = key("tee signer");
const OTHER_SIGNER = key("someone else");
const USER = key("user").address;
const USER2 = key("user 2").address;
const CHALLENGER = key("challenger").address;
const VERIFIERS = [key("verifier 0").address, key("verifier 1").address, key("verifier 2").address];
const LATE_VERIFIER = key("verifier late").address;
const users = Array.from({ length: 50 }, (_, i) => key(`batch user ${i}`).address);

const PARAMS: ComputeGenesisParams = { ...DEVNET_COMPUTE_PARAMS, owner: OWNER };
const DOMAIN = inferenceEip712Domain(CHAIN_ID, SERVING);

const serviceParams = (over: Partial<Record<string, unknown>> = {}) => ({
  serviceType: "chatbot",
  url: "http://127.0.0.1:8080",
  model: "zg-tiny-0",
  verifiability: "OpML",
  inputPrice: 10n ** 9n,
  outputPrice: 2n * 10n ** 9n,
  additionalInfo: '{"weights":"sha256:00"}',
  teeSignerAddress: TEE.address,
  ...over,
});

type AccountView = {
  user: Hex;
  nonce: bigint;
  balance: bigint;
  pendingRefund: bigint;
  refunds: readonly { index: bigint; amount: bigint; createdAt: bigint; processed: boolean }[];
  acknowledged: boolean;
  validRefundsLength: bigint;
  generation: bigint;
  revokedBitmap: bigint;
};
type LedgerView = { user: Hex; availableBalance: bigint; totalBalance: bigint; additionalInfo: string };

async function setup(h: ComputeHarness): Promise<void> {
  for (const a of [OWNER, PROVIDER, PROVIDER2, USER, USER2, CHALLENGER, LATE_VERIFIER, ...VERIFIERS]) await h.fund(a, 10_000n * E);
}

const register = (h: ComputeHarness, provider = PROVIDER, over: Partial<Record<string, unknown>> = {}, stake = 100n * E) =>
  h.send(SERVING_ABI, provider, SERVING, "addOrUpdateService", [serviceParams(over)], stake);

async function openAccount(h: ComputeHarness, user: Hex, deposit: bigint, transfer: bigint, provider = PROVIDER) {
  await h.send(LEDGER_ABI, user, LEDGER, "depositFund", [], deposit);
  await h.send(LEDGER_ABI, user, LEDGER, "transferFund", [provider, INFERENCE, transfer]);
}

const account = (h: ComputeHarness, user: Hex, provider = PROVIDER) =>
  h.view<AccountView>(SERVING_ABI, SERVING, "getAccount", [user, provider]);
const ledger = (h: ComputeHarness, user: Hex) => h.view<LedgerView>(LEDGER_ABI, LEDGER, "getLedger", [user]);

async function settlement(user: Hex, totalFee: bigint, nonce: bigint, signer = TEE, provider = PROVIDER) {
  const message = { requestsHash: keccak256(toHex(`requests ${user} ${nonce}`)), nonce, provider, user, totalFee };
  const signature = await signer.signTypedData({ domain: DOMAIN, types: TEE_SETTLEMENT_TYPES, primaryType: "TEESettlement", message });
  return { user, provider, totalFee, requestsHash: message.requestsHash, nonce, signature };
}

function eventsOf(r: CallResult, abi: Abi, name: string) {
  const out: Record<string, unknown>[] = [];
  for (const log of r.logs) {
    try {
      const e = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
      if (e.eventName === name) out.push(e.args as unknown as Record<string, unknown>);
    } catch {
      // Another contract's event.
    }
  }
  return out;
}

// ---- ABI compatibility with 0G ----

const fixture = (name: string): Abi =>
  JSON.parse(readFileSync(new URL(`../fixtures/ogCompute/${name}.abi.json`, import.meta.url), "utf8")) as Abi;
const SKIPPED = new Set(["initialize", "initialized", "Initialized"]);

// Names as well as types: ethers' Result and viem's decoded events and named results are keyed by them.
type Canonical = string | { type: string; components: Canonical[] };
const canonical = (ps: readonly AbiParameter[] = []): Canonical[] =>
  ps.map((p) =>
    "components" in p && p.components
      ? { type: `${p.type} ${p.name ?? ""}`, components: canonical(p.components) }
      : `${p.type} ${p.name ?? ""}`,
  );
const errorSelector = (e: AbiError) => toFunctionSelector({ ...e, type: "function", outputs: [], stateMutability: "nonpayable" });

function selectorsOf(abi: Abi) {
  const fns = new Map<Hex, AbiFunction>();
  const events = new Map<Hex, AbiEvent>();
  const errors = new Map<Hex, AbiError>();
  for (const i of abi) {
    if (i.type === "function") fns.set(toFunctionSelector(i), i);
    else if (i.type === "event") events.set(toEventSelector(i), i);
    else if (i.type === "error") errors.set(errorSelector(i), i);
  }
  return { fns, events, errors };
}

function expectAbiCompatible(ours: Abi, theirs: Abi) {
  const o = selectorsOf(ours);
  let checked = 0;
  for (const item of theirs) {
    if ("name" in item && SKIPPED.has(item.name)) continue;
    if (item.type === "function") {
      const mine = o.fns.get(toFunctionSelector(item));
      expect(mine, toFunctionSignature(item)).toBeDefined();
      expect(canonical(mine?.outputs), `${item.name} outputs`).toEqual(canonical(item.outputs));
      expect(canonical(mine?.inputs), `${item.name} inputs`).toEqual(canonical(item.inputs));
      // pure and view are both calls to viem and ethers; what matters is read vs write vs payable.
      const kind = (m?: string) => (m === "pure" ? "view" : m);
      expect(kind(mine?.stateMutability), `${item.name} mutability`).toBe(kind(item.stateMutability));
    } else if (item.type === "event") {
      const mine = o.events.get(toEventSelector(item));
      expect(mine, `event ${item.name}`).toBeDefined();
      expect(
        mine?.inputs.map((i) => `${i.name} ${i.indexed ?? false}`),
        `${item.name} indexed`,
      ).toEqual(item.inputs.map((i) => `${i.name} ${i.indexed ?? false}`));
    } else if (item.type === "error") {
      const mine = o.errors.get(errorSelector(item));
      expect(mine, `error ${item.name}`).toBeDefined();
      expect(canonical(mine?.inputs), `${item.name} fields`).toEqual(canonical(item.inputs));
    } else if (item.type === "receive") {
      expect(ours.some((i) => i.type === "receive")).toBe(true);
    } else continue;
    checked++;
  }
  return checked;
}

function additions(ours: Abi, theirs: Abi): string[] {
  const t = selectorsOf(theirs);
  const out: string[] = [];
  for (const i of ours) {
    if (i.type === "function" && !t.fns.has(toFunctionSelector(i))) out.push(`function ${toFunctionSignature(i)}`);
    if (i.type === "event" && !t.events.has(toEventSelector(i))) out.push(`event ${toFunctionSignature(i as never)}`);
    if (i.type === "error" && !t.errors.has(errorSelector(i))) out.push(`error ${toFunctionSignature(i as never)}`);
  }
  return out.sort();
}

describe("compute contracts: ABI, size, genesis encoding", () => {
  it("every function, event and error of 0G's pinned ABIs exists with its selector, topic, parameter names and output types", () => {
    expect(expectAbiCompatible(LEDGER_ABI, fixture("LedgerManager"))).toBe(63);
    expect(expectAbiCompatible(SERVING_ABI, fixture("InferenceServing"))).toBe(73);
  });

  it("adds exactly the documented functions, events and errors", () => {
    expect(additions(LEDGER_ABI, fixture("LedgerManager"))).toEqual([
      "error OwnableInvalidOwner(address)",
      "error OwnableUnauthorizedAccount(address)",
    ]);
    expect(additions(SERVING_ABI, fixture("InferenceServing"))).toEqual([
      "error CallerNotDisputes(address)",
      "error DisputesPending(address,uint256)",
      "error InsufficientBalance(address,address,uint256,uint256)",
      "error InvalidNonce(address,uint256,uint256)",
      "error NoStake(address)",
      "error OwnableInvalidOwner(address)",
      "error OwnableUnauthorizedAccount(address)",
      "error ProviderMismatch(address,address)",
      "error ReentrantCall()",
      "error ServiceStillActive(address)",
      "error StakeLocked(address,uint256)",
      "error TEESignerNotAcknowledged(address,address)",
      "event ProviderStakeLocked(address,uint256,uint256)",
      "event ProviderStakeSlashed(address,uint256,uint256)",
      "function challengeWindow()",
      "function disputeStatus(address,address)",
      "function disputes()",
      "function getProviderStake(address)",
      "function slash(address,uint256)",
      "function withdrawProviderStake()",
    ]);
  });

  it("each contract's runtime code fits EIP-170 (24,576 bytes)", () => {
    const sizes = Object.fromEntries(
      (["LedgerManager", "InferenceServing", "InferenceDisputes"] as const).map((n) => [n, (contracts[n].deployedBytecode.length - 2) / 2]),
    );
    console.log(`code size (bytes): ${JSON.stringify(sizes)}`);
    for (const [name, size] of Object.entries(sizes)) expect(size, name).toBeLessThanOrEqual(24_576);
  });

  it("computeGenesisDeployments encodes constructor arguments as viem does, serving first, ledger last", () => {
    const [serving, disputes, ledgerDeployment] = computeGenesisDeployments(PARAMS);
    const p = PARAMS;
    expect(serving?.initCode).toBe(
      encodeDeployData({
        abi: inferenceServingAbi,
        bytecode: inferenceServingBytecode,
        args: [p.lockTime, LEDGER, OWNER, p.minLockTime, p.maxLockTime, p.minProviderStake, p.challengeWindow, DISPUTES],
      }),
    );
    expect(disputes?.initCode).toBe(
      encodeDeployData({
        abi: inferenceDisputesAbi,
        bytecode: inferenceDisputesBytecode,
        args: [SERVING, p.minVerifierStake, p.disputeBond, p.slashAmount, p.disputeWindow],
      }),
    );
    expect(ledgerDeployment?.initCode).toBe(
      encodeDeployData({ abi: ledgerManagerAbi, bytecode: ledgerManagerBytecode, args: [OWNER, SERVING] }),
    );
    expect(() => computeGenesisDeployments({ ...PARAMS, lockTime: 5n })).toThrow(/lockTime 5/);
    const taken = new Set<string>([...Object.values(STORAGE_SYSTEM_CONTRACTS), ...Object.values(DA_SYSTEM_CONTRACTS)]);
    for (const a of Object.values(COMPUTE_SYSTEM_CONTRACTS)) expect(taken.has(a)).toBe(false);
  });
});

// ---- behaviour ----

describe("LedgerManager and sub-accounts", () => {
  let h: ComputeHarness;
  beforeEach(async () => {
    h = await ComputeHarness.create(PARAMS);
    await setup(h);
    await register(h);
  });

  it("genesis registers InferenceServing as inference-v1.0, recommended, and sets the parameters", async () => {
    expect(await h.view(LEDGER_ABI, LEDGER, "getServiceAddressByName", [INFERENCE])).toBe(getAddress(SERVING));
    const info = await h.view<{ fullName: string; isRecommended: boolean; serviceContract: Hex }>(LEDGER_ABI, LEDGER, "getServiceInfo", [
      SERVING,
    ]);
    expect([info.fullName, info.isRecommended, info.serviceContract]).toEqual([INFERENCE, true, getAddress(SERVING)]);
    expect(await h.view(LEDGER_ABI, LEDGER, "getRecommendedService", ["inference"])).toEqual(["v1.0", getAddress(SERVING)]);
    expect(await h.view(LEDGER_ABI, LEDGER, "owner")).toBe(getAddress(OWNER));
    expect(await h.view(SERVING_ABI, SERVING, "owner")).toBe(getAddress(OWNER));
    expect(await h.view(SERVING_ABI, SERVING, "lockTime")).toBe(120n);
    expect(await h.view(SERVING_ABI, SERVING, "MIN_LOCKTIME")).toBe(10n);
    expect(await h.view(SERVING_ABI, SERVING, "MIN_PROVIDER_STAKE")).toBe(100n * E);
    expect(await h.view(SERVING_ABI, SERVING, "ledgerAddress")).toBe(getAddress(LEDGER));
    expect(await h.view(DISPUTES_ABI, DISPUTES, "challengeWindow")).toBe(3600n);
    expect(await h.view(SERVING_ABI, SERVING, "supportsInterface", ["0x01ffc9a7"])).toBe(true);
    expect(await h.view(SERVING_ABI, SERVING, "supportsInterface", ["0xffffffff"])).toBe(false);
    // A contract without IServing is refused.
    expect(await h.revert(LEDGER_ABI, OWNER, LEDGER, "registerService", ["inference", "v2.0", DISPUTES, ""])).toEqual({
      errorName: "ServiceMustImplementIServing",
      args: [getAddress(DISPUTES)],
    });
    expect((await h.revert(LEDGER_ABI, USER, LEDGER, "registerService", ["x", "v1", SERVING, ""])).errorName).toBe(
      "OwnableUnauthorizedAccount",
    );
  });

  it("ledger: minimum deposit, deposits, refunds, direct ETH refused", async () => {
    expect(await h.revert(LEDGER_ABI, USER, LEDGER, "addLedger", [""], 2n * E)).toEqual({
      errorName: "MinimumDepositRequired",
      args: [2n * E, 3n * E],
    });
    await h.send(LEDGER_ABI, USER, LEDGER, "addLedger", ["info"], 3n * E);
    expect((await h.revert(LEDGER_ABI, USER, LEDGER, "addLedger", [""], 3n * E)).errorName).toBe("LedgerExists");
    await h.send(LEDGER_ABI, USER, LEDGER, "depositFund", [], 2n * E);
    await h.send(LEDGER_ABI, USER2, LEDGER, "depositFundFor", [USER], E);
    expect(await ledger(h, USER)).toEqual({
      user: getAddress(USER),
      availableBalance: 6n * E,
      totalBalance: 6n * E,
      additionalInfo: "info",
    });
    // What stays must be 0 or at least 3 ZG.
    expect(await h.revert(LEDGER_ABI, USER, LEDGER, "refund", [4n * E])).toEqual({
      errorName: "MinimumDepositRequired",
      args: [2n * E, 3n * E],
    });
    expect(await h.revert(LEDGER_ABI, USER, LEDGER, "refund", [7n * E])).toEqual({
      errorName: "InsufficientBalance",
      args: [getAddress(USER)],
    });
    const before = await h.balance(USER);
    await h.send(LEDGER_ABI, USER, LEDGER, "refund", [3n * E]);
    expect(await h.balance(USER)).toBe(before + 3n * E);
    const [all, total] = await h.view<[LedgerView[], bigint]>(LEDGER_ABI, LEDGER, "getAllLedgers", [0n, 0n]);
    expect([all.length, total]).toEqual([1, 1n]);
    for (const [to, abi] of [
      [LEDGER, LEDGER_ABI],
      [SERVING, SERVING_ABI],
      [DISPUTES, DISPUTES_ABI],
    ] as const) {
      const r = await h.call(USER, to, "0x", E);
      expect(r.ok).toBe(false);
      expect(decodeRevert(r.ret).errorName, to).toBe("DirectDepositsDisabled");
      expect(abi.some((i) => i.type === "receive")).toBe(true);
    }
  });

  it("transferFund opens a sub-account (≥ 1 ZG) acknowledged, then tops it up", async () => {
    await h.send(LEDGER_ABI, USER, LEDGER, "addLedger", ["x"], 10n * E);
    expect(await h.revert(LEDGER_ABI, USER, LEDGER, "transferFund", [PROVIDER, INFERENCE, E / 2n])).toEqual({
      errorName: "MinimumDepositRequired",
      args: [E / 2n, E],
    });
    expect((await h.revert(LEDGER_ABI, USER, LEDGER, "transferFund", [PROVIDER, "inference-v9", E])).errorName).toBe("ServiceNotFound");
    const r = await h.send(LEDGER_ABI, USER, LEDGER, "transferFund", [PROVIDER, INFERENCE, 2n * E]);
    expect(eventsOf(r, SERVING_ABI, "BalanceUpdated")).toEqual([
      { user: getAddress(USER), provider: getAddress(PROVIDER), amount: 2n * E, pendingRefund: 0n },
    ]);
    await h.send(LEDGER_ABI, USER, LEDGER, "transferFund", [PROVIDER, INFERENCE, E]);
    const a = await account(h, USER);
    expect([a.balance, a.pendingRefund, a.acknowledged, a.nonce]).toEqual([3n * E, 0n, true, 0n]);
    expect(await ledger(h, USER)).toMatchObject({ availableBalance: 7n * E, totalBalance: 10n * E });
    expect(await h.view(LEDGER_ABI, LEDGER, "getLedgerProviders", [USER, INFERENCE])).toEqual([getAddress(PROVIDER)]);
    expect(await h.revert(LEDGER_ABI, USER, LEDGER, "transferFund", [PROVIDER, INFERENCE, 8n * E])).toEqual({
      errorName: "InsufficientAvailableBalance",
      args: [7n * E, 8n * E],
    });
    expect((await h.revert(LEDGER_ABI, USER, LEDGER, "deleteLedger")).errorName).toBe("MustWithdrawAllFundsFirst");
    // Only the ledger drives sub-accounts.
    expect(await h.revert(SERVING_ABI, USER, SERVING, "depositFund", [USER, PROVIDER, 0n], E)).toEqual({
      errorName: "CallerNotLedger",
      args: [getAddress(USER)],
    });
    expect((await h.revert(LEDGER_ABI, USER, LEDGER, "spendFund", [USER, 1n])).errorName).toBe("CallerNotRegisteredService");
  });

  it("retrieveFund: nothing returns before lockTime, everything after; transferFund cancels the pending refund first", async () => {
    await openAccount(h, USER, 10n * E, 4n * E);
    const r1 = await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    expect(eventsOf(r1, SERVING_ABI, "RefundRequested")).toEqual([
      { user: getAddress(USER), provider: getAddress(PROVIDER), index: 0n, timestamp: h.time },
    ]);
    expect(await h.view(SERVING_ABI, SERVING, "getPendingRefund", [USER, PROVIDER])).toBe(4n * E);

    // Cancels 1 ZG of the refund, sends no new money.
    await h.send(LEDGER_ABI, USER, LEDGER, "transferFund", [PROVIDER, INFERENCE, E]);
    let a = await account(h, USER);
    expect([a.balance, a.pendingRefund, a.refunds[0]?.amount]).toEqual([4n * E, 3n * E, 3n * E]);
    expect((await ledger(h, USER)).availableBalance).toBe(6n * E);

    h.advance(119n);
    await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    // Not matured: nothing back; the free 1 ZG starts a second refund.
    a = await account(h, USER);
    expect([a.balance, a.pendingRefund, a.validRefundsLength]).toEqual([4n * E, 4n * E, 2n]);
    expect((await ledger(h, USER)).availableBalance).toBe(6n * E);

    h.advance(1n);
    await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    a = await account(h, USER);
    expect([a.balance, a.pendingRefund, a.validRefundsLength, a.refunds[0]?.amount]).toEqual([E, E, 1n, E]);
    expect(await ledger(h, USER)).toMatchObject({ availableBalance: 9n * E, totalBalance: 10n * E });
    expect(await h.balance(SERVING)).toBe(100n * E + E);

    h.advance(120n);
    await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    expect(await ledger(h, USER)).toMatchObject({ availableBalance: 10n * E, totalBalance: 10n * E });
    expect(await h.revert(LEDGER_ABI, USER, LEDGER, "retrieveFund", [Array(21).fill(PROVIDER), INFERENCE])).toEqual({
      errorName: "TooManyProviders",
      args: [21n, 20n],
    });
  });

  it("refunding everything deletes the ledger and its sub-accounts, keeping nonce and generation", async () => {
    await openAccount(h, USER, 5n * E, 2n * E);
    await h.send(SERVING_ABI, PROVIDER, SERVING, "settleFeesWithTEE", [[await settlement(USER, E, 77n)]]);
    await h.send(SERVING_ABI, USER, SERVING, "revokeAllTokens", [PROVIDER]);
    await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    h.advance(120n);
    await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    expect(await ledger(h, USER)).toMatchObject({ availableBalance: 4n * E, totalBalance: 4n * E });
    const r = await h.send(LEDGER_ABI, USER, LEDGER, "refund", [4n * E]);
    expect(eventsOf(r, SERVING_ABI, "AccountDeleted")).toEqual([
      { user: getAddress(USER), provider: getAddress(PROVIDER), refundedAmount: 0n },
    ]);
    expect((await h.revert(LEDGER_ABI, USER, LEDGER, "getLedger", [USER])).errorName).toBe("LedgerNotExists");
    expect(await h.view(SERVING_ABI, SERVING, "accountExists", [USER, PROVIDER])).toBe(false);
    expect(await h.view(LEDGER_ABI, LEDGER, "getLedgerProviders", [USER, INFERENCE])).toEqual([]);

    await openAccount(h, USER, 3n * E, E);
    const a = await account(h, USER);
    expect([a.balance, a.nonce, a.generation]).toEqual([E, 77n, 1n]);
    // The old settlement cannot be replayed on the new account.
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "settleFeesWithTEE", [[await settlement(USER, E / 2n, 77n)]])).errorName).toBe(
      "InvalidNonce",
    );
  });

  it("token revocation: bits per token id, generation for all", async () => {
    await openAccount(h, USER, 3n * E, E);
    const r = await h.send(SERVING_ABI, USER, SERVING, "revokeToken", [PROVIDER, 3]);
    expect(eventsOf(r, SERVING_ABI, "TokenRevoked")).toEqual([{ user: getAddress(USER), provider: getAddress(PROVIDER), tokenId: 3 }]);
    await h.send(SERVING_ABI, USER, SERVING, "revokeTokens", [PROVIDER, [0, 254, 255]]);
    const revoked = async (id: number) => h.view<boolean>(SERVING_ABI, SERVING, "isTokenRevoked", [USER, PROVIDER, id]);
    expect([await revoked(0), await revoked(1), await revoked(3), await revoked(254), await revoked(255)]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
    expect((await account(h, USER)).revokedBitmap).toBe((1n << 0n) | (1n << 3n) | (1n << 254n) | (1n << 255n));
    const all = await h.send(SERVING_ABI, USER, SERVING, "revokeAllTokens", [PROVIDER]);
    expect(eventsOf(all, SERVING_ABI, "AllTokensRevoked")[0]?.newGeneration).toBe(1n);
    const a = await account(h, USER);
    expect([a.generation, a.revokedBitmap, await revoked(3)]).toEqual([1n, 0n, false]);
    expect((await h.revert(SERVING_ABI, USER2, SERVING, "revokeToken", [PROVIDER, 1])).errorName).toBe("AccountNotExists");
    // Un-acknowledging the signer needs an empty account.
    expect((await h.revert(SERVING_ABI, USER, SERVING, "acknowledgeTEESigner", [PROVIDER, false])).errorName).toBe(
      "CannotRevokeWithNonZeroBalance",
    );
  });
});

describe("services and settlement", () => {
  let h: ComputeHarness;
  beforeEach(async () => {
    h = await ComputeHarness.create(PARAMS);
    await setup(h);
  });

  it("addOrUpdateService stakes once, acknowledges the signer, pages with limit ≤ 50", async () => {
    expect(await h.revert(SERVING_ABI, PROVIDER, SERVING, "addOrUpdateService", [serviceParams()], 99n * E)).toEqual({
      errorName: "InsufficientStake",
      args: [99n * E, 100n * E],
    });
    const r = await register(h);
    expect(eventsOf(r, SERVING_ABI, "ProviderStaked")).toEqual([{ provider: getAddress(PROVIDER), amount: 100n * E }]);
    expect(eventsOf(r, SERVING_ABI, "ProviderTEESignerAcknowledged")).toEqual([
      { provider: getAddress(PROVIDER), teeSignerAddress: TEE.address, acknowledged: true },
    ]);
    const s = await h.view<{ teeSignerAcknowledged: boolean; verifiability: string; updatedAt: bigint }>(
      SERVING_ABI,
      SERVING,
      "getService",
      [PROVIDER],
    );
    expect([s.teeSignerAcknowledged, s.verifiability, s.updatedAt]).toEqual([true, "OpML", h.time]);
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "addOrUpdateService", [serviceParams()], 1n)).errorName).toBe(
      "CannotAddStakeWhenUpdating",
    );
    await h.send(SERVING_ABI, PROVIDER, SERVING, "addOrUpdateService", [serviceParams({ url: "http://x" })]);
    await register(h, PROVIDER2, { verifiability: "" });
    const [page, total] = await h.view<[unknown[], bigint]>(SERVING_ABI, SERVING, "getAllServices", [1n, 0n]);
    expect([page.length, total]).toEqual([1, 2n]);
    expect(await h.revert(SERVING_ABI, USER, SERVING, "getAllServices", [0n, 51n])).toEqual({
      errorName: "LimitTooLarge",
      args: [51n, 50n],
    });
    expect(await h.revert(SERVING_ABI, USER, SERVING, "getAllAccounts", [0n, 51n])).toEqual({
      errorName: "LimitTooLarge",
      args: [51n, 50n],
    });
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "revokeTEESignerAcknowledgement", [PROVIDER])).errorName).toBe(
      "OwnableUnauthorizedAccount",
    );
  });

  it("settleFeesWithTEE: balances move, provider paid, FundSpent, nonce stored", async () => {
    await register(h);
    await openAccount(h, USER, 10n * E, 4n * E);
    const item = await settlement(USER, (3n * E) / 2n, 1_700_000_000n * 10_000_000n);
    const before = await h.balance(PROVIDER);
    const r = await h.send(SERVING_ABI, PROVIDER, SERVING, "settleFeesWithTEE", [[item]]);
    expect(await h.balance(PROVIDER)).toBe(before + (3n * E) / 2n);
    const a = await account(h, USER);
    expect([a.balance, a.nonce]).toEqual([4n * E - (3n * E) / 2n, item.nonce]);
    expect(await ledger(h, USER)).toMatchObject({ availableBalance: 6n * E, totalBalance: 10n * E - (3n * E) / 2n });
    expect(eventsOf(r, LEDGER_ABI, "FundSpent")).toEqual([{ user: getAddress(USER), service: getAddress(SERVING), amount: (3n * E) / 2n }]);
    expect(eventsOf(r, SERVING_ABI, "TEESettlementResult")).toEqual([{ user: getAddress(USER), status: 0, unsettledAmount: 0n }]);
    expect(eventsOf(r, SERVING_ABI, "BalanceUpdated")).toEqual([
      { user: getAddress(USER), provider: getAddress(PROVIDER), amount: a.balance, pendingRefund: 0n },
    ]);
  });

  it("settleFeesWithTEE reverts the whole batch: forged signature, replayed nonce, fee above balance, wrong provider", async () => {
    await register(h);
    await openAccount(h, USER, 10n * E, 2n * E);
    await openAccount(h, USER2, 10n * E, 2n * E);
    const good = await settlement(USER2, E, 5n);
    const settle = (items: unknown[]) => h.revert(SERVING_ABI, PROVIDER, SERVING, "settleFeesWithTEE", [items]);

    expect(await settle([good, await settlement(USER, E, 5n, OTHER_SIGNER)])).toEqual({
      errorName: "InvalidTEESignature",
      args: ["not signed by the service's TEE signer"],
    });
    // The same signature moved to another amount.
    const tampered = { ...(await settlement(USER, E, 5n)), totalFee: E + 1n };
    expect((await settle([tampered])).errorName).toBe("InvalidTEESignature");
    // The malleable twin (n - s, v ^ 1) of a valid signature.
    const valid = await settlement(USER, E, 5n);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sig = toBytes(valid.signature);
    const s = BigInt(toHex(sig.slice(32, 64)));
    const twin = `${toHex(sig.slice(0, 32))}${(n - s).toString(16).padStart(64, "0")}${sig[64] === 27 ? "1c" : "1b"}` as Hex;
    expect(await settle([{ ...valid, signature: twin }])).toEqual({ errorName: "InvalidTEESignature", args: ["malformed signature"] });

    expect(await settle([good, await settlement(USER, 3n * E, 6n)])).toEqual({
      errorName: "InsufficientBalance",
      args: [getAddress(USER), getAddress(PROVIDER), 2n * E, 3n * E],
    });
    expect(await settle([{ ...good, provider: PROVIDER2 }])).toEqual({
      errorName: "ProviderMismatch",
      args: [getAddress(PROVIDER2), getAddress(PROVIDER)],
    });
    expect(await settle([])).toEqual({ errorName: "NoSettlementsProvided", args: [] });
    // Nothing of the reverted batches stuck.
    expect((await account(h, USER2)).nonce).toBe(0n);

    await h.send(SERVING_ABI, PROVIDER, SERVING, "settleFeesWithTEE", [[good, await settlement(USER, E, 9n)]]);
    expect(await settle([await settlement(USER, 1n, 9n)])).toEqual({ errorName: "InvalidNonce", args: [getAddress(USER), 9n, 9n] });
    expect(await settle([await settlement(USER, 1n, 8n)])).toEqual({ errorName: "InvalidNonce", args: [getAddress(USER), 8n, 9n] });

    // The owner's revocation stops settlement; re-acknowledging restores it.
    await h.send(SERVING_ABI, OWNER, SERVING, "revokeTEESignerAcknowledgement", [PROVIDER]);
    expect(await settle([await settlement(USER, 1n, 10n)])).toEqual({
      errorName: "TEESignerNotAcknowledged",
      args: [getAddress(USER), getAddress(PROVIDER)],
    });
    // A price update does not undo the owner's revocation.
    await h.send(SERVING_ABI, PROVIDER, SERVING, "addOrUpdateService", [serviceParams({ inputPrice: 5n })]);
    expect((await settle([await settlement(USER, 1n, 10n)])).errorName).toBe("TEESignerNotAcknowledged");
    await h.send(SERVING_ABI, OWNER, SERVING, "acknowledgeTEESignerByOwner", [PROVIDER]);
    await h.send(SERVING_ABI, PROVIDER, SERVING, "settleFeesWithTEE", [[await settlement(USER, 1n, 10n)]]);
  });

  it("previewSettlementResults reports 0G's statuses without reverting", async () => {
    await register(h);
    await openAccount(h, USER, 10n * E, 2n * E);
    await openAccount(h, USER2, 10n * E, 2n * E);
    const items = [
      await settlement(USER, E, 5n),
      await settlement(USER2, 3n * E, 5n),
      await settlement(USER, E, 6n, OTHER_SIGNER),
      { ...(await settlement(USER, E, 7n)), provider: PROVIDER2 },
      await settlement(CHALLENGER, E, 5n),
    ];
    const [failed, reasons, partial, amounts] = await h.view<[Hex[], number[], Hex[], bigint[]]>(
      SERVING_ABI,
      SERVING,
      "previewSettlementResults",
      [items],
      PROVIDER,
    );
    expect(failed).toEqual([getAddress(USER), getAddress(USER), getAddress(CHALLENGER)]);
    expect(reasons).toEqual([SettlementStatus.INVALID_SIGNATURE, SettlementStatus.PROVIDER_MISMATCH, SettlementStatus.INVALID_SIGNATURE]);
    expect([partial, amounts]).toEqual([[getAddress(USER2)], [E]]);
  });

  it("fees beyond the free balance come out of pending refunds, newest first", async () => {
    await register(h);
    await openAccount(h, USER, 20n * E, 4n * E);
    await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    // Through the ledger's entry points a sub-account holds one refund at a time (a top-up cancels it first); stage
    // three, and 1 ZG free, by calling InferenceServing as the ledger does, with money the ledger holds.
    for (const t of [10n, 20n]) {
      h.advance(t);
      await h.send(SERVING_ABI, LEDGER, SERVING, "depositFund", [USER, PROVIDER, 0n], E);
      await h.send(SERVING_ABI, LEDGER, SERVING, "requestRefundAll", [USER, PROVIDER]);
    }
    await h.send(SERVING_ABI, LEDGER, SERVING, "depositFund", [USER, PROVIDER, 0n], E);
    let a = await account(h, USER);
    expect(a.refunds.slice(0, 3).map((r) => r.amount)).toEqual([4n * E, E, E]);
    expect([a.balance, a.pendingRefund]).toEqual([7n * E, 6n * E]);

    // 2.5 ZG: 1 free, then the newest refund (1), then half of the one before.
    await h.send(SERVING_ABI, PROVIDER, SERVING, "settleFeesWithTEE", [[await settlement(USER, (5n * E) / 2n, 1n)]]);
    a = await account(h, USER);
    expect([a.balance, a.pendingRefund, a.validRefundsLength]).toEqual([(9n * E) / 2n, (9n * E) / 2n, 2n]);
    expect(a.refunds.slice(0, 2).map((r) => r.amount)).toEqual([4n * E, E / 2n]);

    // The oldest refund matures first and comes back; the rest stays pending.
    h.advance(120n - 30n);
    await h.send(LEDGER_ABI, USER, LEDGER, "retrieveFund", [[PROVIDER], INFERENCE]);
    a = await account(h, USER);
    expect([a.balance, a.pendingRefund, a.validRefundsLength, a.refunds[0]?.amount]).toEqual([E / 2n, E / 2n, 1n, E / 2n]);
    expect((await ledger(h, USER)).availableBalance).toBe(16n * E + 4n * E);
  });

  it("removeService locks the stake for challengeWindow, then withdrawProviderStake pays it", async () => {
    await register(h);
    const r = await h.send(SERVING_ABI, PROVIDER, SERVING, "removeService");
    expect(eventsOf(r, SERVING_ABI, "ProviderStakeLocked")).toEqual([
      { provider: getAddress(PROVIDER), amount: 100n * E, unlockAt: h.time + 3600n },
    ]);
    expect(await h.view(SERVING_ABI, SERVING, "serviceExists", [PROVIDER])).toBe(false);
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "getService", [PROVIDER])).errorName).toBe("ServiceNotExist");
    expect(await h.revert(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake")).toEqual({
      errorName: "StakeLocked",
      args: [getAddress(PROVIDER), h.time + 3600n],
    });
    // Coming back within the window reuses the stake.
    await h.send(SERVING_ABI, PROVIDER, SERVING, "addOrUpdateService", [serviceParams()]);
    expect(await h.view(SERVING_ABI, SERVING, "getProviderStake", [PROVIDER])).toEqual([100n * E, 0n]);
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake")).errorName).toBe("ServiceStillActive");
    await h.send(SERVING_ABI, PROVIDER, SERVING, "removeService");
    h.advance(3599n);
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake")).errorName).toBe("StakeLocked");
    h.advance(1n);
    const before = await h.balance(PROVIDER);
    const w = await h.send(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake");
    expect(await h.balance(PROVIDER)).toBe(before + 100n * E);
    expect(eventsOf(w, SERVING_ABI, "ProviderStakeReturned")).toEqual([{ provider: getAddress(PROVIDER), amount: 100n * E }]);
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake")).errorName).toBe("NoStake");
    expect((await h.revert(SERVING_ABI, PROVIDER, SERVING, "slash", [PROVIDER, 1n])).errorName).toBe("CallerNotDisputes");
  });
});

// ---- disputes ----

/** The test's "model": deterministic, so every verifier re-executes a request to the same bytes. */
const runModel = (request: Uint8Array): Uint8Array =>
  new TextEncoder().encode(JSON.stringify({ output: new TextDecoder().decode(request).split("").reverse().join("") }));

describe("InferenceDisputes", () => {
  let h: ComputeHarness;
  const request = new TextEncoder().encode(JSON.stringify({ model: "zg-tiny-0", messages: [{ role: "user", content: "hello" }] }));
  const goodResponse = runModel(request);
  const badResponse = new TextEncoder().encode(JSON.stringify({ output: "a made-up answer" }));

  async function signedReceipt(response: Uint8Array, over: Partial<InferenceReceipt> = {}, signer = TEE) {
    const receipt: InferenceReceipt = {
      user: USER,
      provider: PROVIDER,
      requestHash: sha256(request),
      responseHash: sha256(response),
      inputTokens: 12n,
      outputTokens: 30n,
      fee: 72n * 10n ** 9n,
      createdAt: h.time - 60n,
      ...over,
    };
    const signature = await signer.signTypedData({
      domain: DOMAIN,
      types: INFERENCE_RECEIPT_TYPES,
      primaryType: "InferenceReceipt",
      message: receipt,
    });
    return { receipt, signature };
  }

  const openDispute = async (response: Uint8Array, over: Partial<InferenceReceipt> = {}) => {
    const { receipt, signature } = await signedReceipt(response, over);
    const r = await h.send(DISPUTES_ABI, CHALLENGER, DISPUTES, "dispute", [receipt, signature, toHex(request), toHex(response)], E);
    const opened = eventsOf(r, DISPUTES_ABI, "DisputeOpened")[0]!;
    return { id: opened.id as bigint, r, opened };
  };

  /** Each verifier re-executes the request from the event and votes. */
  async function voteAll(id: bigint, opened: Record<string, unknown>, voters = VERIFIERS) {
    const results: CallResult[] = [];
    for (const v of voters) {
      const correct = toHex(runModel(toBytes(opened.request as Hex))) === opened.response;
      const d = await h.view<{ outcome: number }>(DISPUTES_ABI, DISPUTES, "getDispute", [id]);
      if (d.outcome !== DisputeOutcome.Open) break;
      results.push(await h.send(DISPUTES_ABI, v, DISPUTES, "voteDispute", [id, correct]));
    }
    return results;
  }

  beforeEach(async () => {
    h = await ComputeHarness.create(PARAMS);
    await setup(h);
    await register(h);
    await register(h, PROVIDER2, { verifiability: "" });
    for (const v of VERIFIERS) await h.send(DISPUTES_ABI, v, DISPUTES, "registerVerifier", [], 10n * E);
    h.advance(100n);
  });

  it("the receipt digest is viem's EIP-712 hash", async () => {
    const { receipt } = await signedReceipt(goodResponse);
    const digest = hashTypedData({ domain: DOMAIN, types: INFERENCE_RECEIPT_TYPES, primaryType: "InferenceReceipt", message: receipt });
    expect(await h.view(DISPUTES_ABI, DISPUTES, "receiptDigest", [receipt])).toBe(digest);
  });

  it("a dispute against a correct answer is rejected: the bond goes to the provider", async () => {
    const { id, opened } = await openDispute(goodResponse);
    expect(opened).toMatchObject({
      provider: getAddress(PROVIDER),
      user: getAddress(USER),
      challenger: getAddress(CHALLENGER),
      requestHash: sha256(request),
      responseHash: sha256(goodResponse),
      request: toHex(request),
      response: toHex(goodResponse),
      deadline: h.time + 600n,
    });
    expect(await h.view(DISPUTES_ABI, DISPUTES, "openDisputes", [PROVIDER])).toBe(1n);
    const votes = await voteAll(id, opened);
    // 2 of 3 equal stakes is exactly 2/3, not more: the third vote decides.
    expect(votes).toHaveLength(3);
    expect(eventsOf(votes[2]!, DISPUTES_ABI, "DisputeResolved")).toEqual([{ id, outcome: DisputeOutcome.ProviderCorrect, slashed: 0n }]);
    expect(await h.view(DISPUTES_ABI, DISPUTES, "withdrawable", [PROVIDER])).toBe(E);
    expect(await h.view(DISPUTES_ABI, DISPUTES, "withdrawable", [CHALLENGER])).toBe(0n);
    expect(await h.view(DISPUTES_ABI, DISPUTES, "openDisputes", [PROVIDER])).toBe(0n);
    expect(await h.view(SERVING_ABI, SERVING, "getProviderStake", [PROVIDER])).toEqual([100n * E, 0n]);
    const before = await h.balance(PROVIDER);
    await h.send(DISPUTES_ABI, PROVIDER, DISPUTES, "withdraw");
    expect(await h.balance(PROVIDER)).toBe(before + E);
    expect(await h.revert(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "voteDispute", [id, true])).toEqual({
      errorName: "DisputeClosed",
      args: [id],
    });
  });

  it("a dispute against a wrong answer slashes the provider: half to the user, half and the bond to the challenger", async () => {
    // Leaving does not help: the receipt's signer stays liable and the stake stays for the challenge window.
    const removedAt = h.time;
    await h.send(SERVING_ABI, PROVIDER, SERVING, "removeService");
    const { id, opened } = await openDispute(badResponse);
    // A verifier registered after the opening may not vote.
    await h.send(DISPUTES_ABI, LATE_VERIFIER, DISPUTES, "registerVerifier", [], 50n * E);
    expect((await h.revert(DISPUTES_ABI, LATE_VERIFIER, DISPUTES, "voteDispute", [id, true])).errorName).toBe("NotEligibleVerifier");
    const votes = await voteAll(id, opened);
    expect(votes).toHaveLength(3);
    const last = votes.at(-1)!;
    expect(eventsOf(last, DISPUTES_ABI, "ProviderSlashed")).toEqual([{ provider: getAddress(PROVIDER), id, amount: 50n * E }]);
    expect(eventsOf(last, DISPUTES_ABI, "DisputeResolved")).toEqual([{ id, outcome: DisputeOutcome.ProviderWrong, slashed: 50n * E }]);
    expect(await h.view(SERVING_ABI, SERVING, "getProviderStake", [PROVIDER])).toEqual([50n * E, removedAt + 3600n]);
    expect(await h.view(DISPUTES_ABI, DISPUTES, "withdrawable", [USER])).toBe(25n * E);
    expect(await h.view(DISPUTES_ABI, DISPUTES, "withdrawable", [CHALLENGER])).toBe(26n * E);
    const d = await h.view<{ outcome: number; slashed: bigint; stakeProviderWrong: bigint; eligibleStake: bigint }>(
      DISPUTES_ABI,
      DISPUTES,
      "getDispute",
      [id],
    );
    expect([d.outcome, d.slashed, d.stakeProviderWrong, d.eligibleStake]).toEqual([
      DisputeOutcome.ProviderWrong,
      50n * E,
      30n * E,
      30n * E,
    ]);
    const before = await h.balance(CHALLENGER);
    await h.send(DISPUTES_ABI, CHALLENGER, DISPUTES, "withdraw");
    expect(await h.balance(CHALLENGER)).toBe(before + 26n * E);
    expect((await h.revert(DISPUTES_ABI, CHALLENGER, DISPUTES, "withdraw")).errorName).toBe("NothingToWithdraw");
    await h.send(DISPUTES_ABI, USER, DISPUTES, "withdraw");
    // The rest of the stake leaves after the window; only PROVIDER2's stake stays in InferenceServing.
    h.advance(3600n);
    await h.send(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake");
    expect(await h.balance(SERVING)).toBe(100n * E);
    // Payouts are gone; the verifiers' stakes (3 × 10 + 50) remain.
    expect(await h.balance(DISPUTES)).toBe(80n * E);
  });

  it("refuses mismatching bytes, a bad signature, an old receipt, a non-OpML service, a low bond, a second dispute", async () => {
    const { receipt, signature } = await signedReceipt(goodResponse);
    const open = (args: unknown[], value = E) => h.revert(DISPUTES_ABI, CHALLENGER, DISPUTES, "dispute", args, value);
    expect(await open([receipt, signature, toHex(request), toHex(badResponse)])).toEqual({
      errorName: "ResponseHashMismatch",
      args: [sha256(goodResponse), sha256(badResponse)],
    });
    expect((await open([receipt, signature, toHex(badResponse), toHex(goodResponse)])).errorName).toBe("RequestHashMismatch");
    const forged = await signedReceipt(goodResponse, {}, OTHER_SIGNER);
    expect(await open([forged.receipt, forged.signature, toHex(request), toHex(goodResponse)])).toEqual({
      errorName: "InvalidReceiptSignature",
      args: [OTHER_SIGNER.address],
    });
    const edited = { ...receipt, fee: receipt.fee + 1n };
    expect((await open([edited, signature, toHex(request), toHex(goodResponse)])).errorName).toBe("InvalidReceiptSignature");
    const old = await signedReceipt(goodResponse, { createdAt: h.time - 3601n });
    expect((await open([old.receipt, old.signature, toHex(request), toHex(goodResponse)])).errorName).toBe("OutsideChallengeWindow");
    const future = await signedReceipt(goodResponse, { createdAt: h.time + 301n });
    expect((await open([future.receipt, future.signature, toHex(request), toHex(goodResponse)])).errorName).toBe("OutsideChallengeWindow");
    const plain = await signedReceipt(goodResponse, { provider: PROVIDER2 });
    expect(await open([plain.receipt, plain.signature, toHex(request), toHex(goodResponse)])).toEqual({
      errorName: "ServiceNotDisputable",
      args: [getAddress(PROVIDER2)],
    });
    expect(await open([receipt, signature, toHex(request), toHex(goodResponse)], E - 1n)).toEqual({
      errorName: "InsufficientBond",
      args: [E - 1n, E],
    });
    const ok = await h.send(DISPUTES_ABI, CHALLENGER, DISPUTES, "dispute", [receipt, signature, toHex(request), toHex(goodResponse)], E);
    expect(ok.ok).toBe(true);
    expect((await open([receipt, signature, toHex(request), toHex(goodResponse)])).errorName).toBe("ReceiptAlreadyDisputed");
  });

  it("a former signer stays disputable for challengeWindow after a key change", async () => {
    const { receipt, signature } = await signedReceipt(goodResponse);
    await h.send(SERVING_ABI, PROVIDER, SERVING, "addOrUpdateService", [serviceParams({ teeSignerAddress: OTHER_SIGNER.address })]);
    expect(await h.view(SERVING_ABI, SERVING, "disputeStatus", [PROVIDER, TEE.address])).toEqual([true, true]);
    await h.send(DISPUTES_ABI, CHALLENGER, DISPUTES, "dispute", [receipt, signature, toHex(request), toHex(goodResponse)], E);
    h.advance(3601n);
    expect(await h.view(SERVING_ABI, SERVING, "disputeStatus", [PROVIDER, TEE.address])).toEqual([true, false]);
    expect(await h.view(SERVING_ABI, SERVING, "disputeStatus", [PROVIDER, OTHER_SIGNER.address])).toEqual([true, true]);
  });

  it("without a 2/3 decision by the deadline anyone dismisses it: bond back; the stake waits for it", async () => {
    await h.send(SERVING_ABI, PROVIDER, SERVING, "removeService");
    const { id, opened } = await openDispute(badResponse);
    await voteAll(id, opened, VERIFIERS.slice(0, 2));
    expect(await h.revert(DISPUTES_ABI, USER2, DISPUTES, "resolveDispute", [id])).toEqual({
      errorName: "DisputeStillOpen",
      args: [id, h.time + 600n],
    });
    h.advance(3600n);
    expect((await h.revert(DISPUTES_ABI, VERIFIERS[2]!, DISPUTES, "voteDispute", [id, false])).errorName).toBe("VotingClosed");
    expect(await h.revert(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake")).toEqual({
      errorName: "DisputesPending",
      args: [getAddress(PROVIDER), 1n],
    });
    const r = await h.send(DISPUTES_ABI, USER2, DISPUTES, "resolveDispute", [id]);
    expect(eventsOf(r, DISPUTES_ABI, "DisputeResolved")).toEqual([{ id, outcome: DisputeOutcome.Dismissed, slashed: 0n }]);
    expect(await h.view(DISPUTES_ABI, DISPUTES, "withdrawable", [CHALLENGER])).toBe(E);
    await h.send(SERVING_ABI, PROVIDER, SERVING, "withdrawProviderStake");
  });

  it("verifiers: one registration, exit, stake back after the dispute window; a party cannot vote", async () => {
    expect((await h.revert(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "registerVerifier", [], 10n * E)).errorName).toBe(
      "VerifierAlreadyRegistered",
    );
    expect(await h.revert(DISPUTES_ABI, LATE_VERIFIER, DISPUTES, "registerVerifier", [], E)).toEqual({
      errorName: "InsufficientVerifierStake",
      args: [E, 10n * E],
    });
    // The user is also a verifier: its stake leaves the 2/3 base and it may not vote.
    await h.send(DISPUTES_ABI, USER, DISPUTES, "registerVerifier", [], 10n * E);
    const { id } = await openDispute(badResponse);
    expect((await h.revert(DISPUTES_ABI, USER, DISPUTES, "voteDispute", [id, false])).errorName).toBe("PartyCannotVote");
    expect((await h.view<{ eligibleStake: bigint }>(DISPUTES_ABI, DISPUTES, "getDispute", [id])).eligibleStake).toBe(30n * E);

    await h.send(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "requestVerifierExit");
    expect(await h.view(DISPUTES_ABI, DISPUTES, "totalVerifierStake")).toBe(30n * E);
    // Still votes on the dispute opened before its exit.
    await h.send(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "voteDispute", [id, false]);
    expect((await h.revert(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "voteDispute", [id, false])).errorName).toBe("AlreadyVoted");
    expect((await h.revert(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "withdrawVerifierStake")).errorName).toBe("VerifierStakeLocked");
    h.advance(601n);
    const before = await h.balance(VERIFIERS[0]!);
    await h.send(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "withdrawVerifierStake");
    expect(await h.balance(VERIFIERS[0]!)).toBe(before + 10n * E);
    expect((await h.view<{ stake: bigint }>(DISPUTES_ABI, DISPUTES, "getVerifier", [VERIFIERS[0]!])).stake).toBe(0n);
  });
});

// ---- gas ----

describe("compute gas", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await ComputeHarness.create(PARAMS);
    await setup(h);
    await register(h);
    for (const u of users) {
      await h.fund(u, 100n * E);
      await openAccount(h, u, 10n * E, 5n * E);
    }
  });

  it("settleFeesWithTEE for 1, 10 and 50 users per transaction", async () => {
    let nonce = 1n;
    const lines: string[] = [];
    const settle = async (count: number, label: string) => {
      const items = [];
      for (const u of users.slice(0, count)) items.push(await settlement(u, 10n ** 15n, nonce));
      nonce++;
      const data = encodeFunctionData({ abi: SERVING_ABI, functionName: "settleFeesWithTEE", args: [items] });
      const r = await h.call(PROVIDER, SERVING, data);
      expect(r.ok).toBe(true);
      const tx = r.gas + intrinsicGas(data);
      lines.push(`${label} ${count}: execution ${r.gas}, tx ${tx} (${tx / BigInt(count)} per user)`);
      return tx / BigInt(count);
    };
    // An account's first settlement writes its nonce from zero (20k more); later ones are the steady state.
    await settle(50, "first");
    for (const count of [1, 10, 50]) {
      const perUser = await settle(count, "later");
      if (count === 50) expect(perUser).toBeLessThan(45_000n);
    }
    console.log(`gas: settleFeesWithTEE ${lines.join("; ")}`);
  });

  it("dispute, vote, resolving vote with a slash, dismissal", async () => {
    for (const v of VERIFIERS) await h.send(DISPUTES_ABI, v, DISPUTES, "registerVerifier", [], 10n * E);
    h.advance(10n);
    const request = new Uint8Array(1024).fill(0x61);
    const response = new Uint8Array(1024).fill(0x62);
    const receiptFor = async (createdAt: bigint) => {
      const receipt: InferenceReceipt = {
        user: users[0]!,
        provider: PROVIDER,
        requestHash: sha256(request),
        responseHash: sha256(response),
        inputTokens: 256n,
        outputTokens: 256n,
        fee: 10n ** 12n,
        createdAt,
      };
      const signature = await TEE.signTypedData({
        domain: DOMAIN,
        types: INFERENCE_RECEIPT_TYPES,
        primaryType: "InferenceReceipt",
        message: receipt,
      });
      return encodeFunctionData({
        abi: DISPUTES_ABI,
        functionName: "dispute",
        args: [receipt, signature, toHex(request), toHex(response)],
      });
    };
    const data = await receiptFor(h.time - 5n);
    const opened = await h.call(CHALLENGER, DISPUTES, data, E);
    expect(opened.ok).toBe(true);
    const id = eventsOf(opened, DISPUTES_ABI, "DisputeOpened")[0]!.id as bigint;
    const v1 = await h.send(DISPUTES_ABI, VERIFIERS[0]!, DISPUTES, "voteDispute", [id, false]);
    await h.send(DISPUTES_ABI, VERIFIERS[1]!, DISPUTES, "voteDispute", [id, false]);
    const v3 = await h.send(DISPUTES_ABI, VERIFIERS[2]!, DISPUTES, "voteDispute", [id, false]);
    const second = await h.call(CHALLENGER, DISPUTES, await receiptFor(h.time - 4n), E);
    const id2 = eventsOf(second, DISPUTES_ABI, "DisputeOpened")[0]!.id as bigint;
    h.advance(601n);
    const dismissed = await h.send(DISPUTES_ABI, USER, DISPUTES, "resolveDispute", [id2]);
    console.log(
      `gas: dispute (1 KiB request + 1 KiB response) execution ${opened.gas}, tx ${opened.gas + intrinsicGas(data)}; ` +
        `vote ${v1.gas}; deciding vote with slash ${v3.gas}; resolveDispute (dismissal) ${dismissed.gas}`,
    );
    expect(opened.gas).toBeLessThan(300_000n);
    expect(v3.gas).toBeLessThan(150_000n);
  });
});
