import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEVM, type EVM } from "@ethereumjs/evm";
import { Account, createAddressFromString } from "@ethereumjs/util";
import { COMPUTE_SYSTEM_CONTRACTS, contracts, DA_SYSTEM_CONTRACTS, STORAGE_SYSTEM_CONTRACTS } from "@zerog/contracts";
import { bytesToHex, hexToBytes } from "@zerog/core";
import { type Abi, decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDevGenesis } from "../../src/commands/genesis.js";
import { type DALayout, planDA } from "../../src/devnet/daLayout.js";
import { deriveAccounts, TEST_MNEMONIC } from "../../src/mnemonic.js";

interface AllocEntry {
  balance: string;
  nonce?: string;
  code?: string;
  storage?: Record<string, string>;
}
interface GenesisJSON {
  chainId: number;
  alloc: Record<string, AllocEntry>;
  systemContracts: Record<string, string>;
}

const dir = mkdtempSync(join(tmpdir(), "zg-genesis-da-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHAIN_ID = 16661;
const TEN_THOUSAND_ZG = `0x${(10_000n * 10n ** 18n).toString(16)}`;
let da: DALayout;
let genesis: GenesisJSON;

/** A plain EVM holding the genesis contracts' code and storage, for view calls. */
async function evmFromAlloc(alloc: Record<string, AllocEntry>): Promise<EVM> {
  const evm = await createEVM();
  for (const [address, a] of Object.entries(alloc)) {
    if (!a.code) continue;
    const at = createAddressFromString(address);
    await evm.stateManager.putAccount(at, new Account(BigInt(a.nonce ?? "0x0"), BigInt(a.balance)));
    await evm.stateManager.putCode(at, hexToBytes(a.code));
    for (const [k, v] of Object.entries(a.storage ?? {})) await evm.stateManager.putStorage(at, hexToBytes(k), hexToBytes(v));
  }
  return evm;
}

async function view(evm: EVM, abi: Abi, to: string, functionName: string, args: readonly unknown[] = []): Promise<unknown> {
  const { execResult } = await evm.runCall({
    to: createAddressFromString(to),
    data: hexToBytes(encodeFunctionData({ abi, functionName, args } as never)),
    gasLimit: 30_000_000n,
  });
  expect(execResult.exceptionError, `${functionName} reverted`).toBeUndefined();
  return decodeFunctionResult({ abi, functionName, data: bytesToHex(execResult.returnValue) as Hex } as never);
}

beforeAll(async () => {
  da = planDA(dir, {
    signers: 4,
    host: "127.0.0.1",
    port: 34000,
    disperserPort: 51001,
    chainRpc: "http://127.0.0.1:8545",
    chainId: CHAIN_ID,
    mnemonic: TEST_MNEMONIC,
    logLevel: "info",
  });
  genesis = (await buildDevGenesis({
    chainId: CHAIN_ID,
    mnemonic: TEST_MNEMONIC,
    accounts: 3,
    balance: 10_000n,
    timestamp: 1_700_000_000,
    da: { signers: da.genesisSigners },
    extraAccounts: da.accounts,
  })) as unknown as GenesisJSON;
});

describe("buildDevGenesis with 0G DA", () => {
  it("lists the DA contracts beside the storage and compute ones and places their code in alloc", () => {
    const all = { ...STORAGE_SYSTEM_CONTRACTS, ...COMPUTE_SYSTEM_CONTRACTS, ...DA_SYSTEM_CONTRACTS };
    expect(genesis.systemContracts).toEqual(all);
    for (const address of Object.values(all)) {
      expect(genesis.alloc[address]?.code?.length ?? 0, address).toBeGreaterThan(2);
    }
    // The runtime code, immutables (registry, limits) filled in.
    expect(genesis.alloc[DA_SYSTEM_CONTRACTS.DASigners]!.code).toHaveLength(contracts.DASigners.deployedBytecode.length);
  });

  it("deploys 0G Compute owned by account 0, with InferenceServing registered in the ledger as inference-v1.0", async () => {
    const evm = await evmFromAlloc(genesis.alloc);
    const ledger = contracts.LedgerManager.abi as Abi;
    const owner = (await view(evm, ledger, COMPUTE_SYSTEM_CONTRACTS.LedgerManager, "owner")) as string;
    expect(owner.toLowerCase()).toBe(deriveAccounts(TEST_MNEMONIC, 1)[0]!.address.toLowerCase());
    const info = (await view(evm, ledger, COMPUTE_SYSTEM_CONTRACTS.LedgerManager, "getServiceInfo", [
      COMPUTE_SYSTEM_CONTRACTS.InferenceServing,
    ])) as { fullName: string; isRecommended: boolean };
    expect(info.fullName).toBe("inference-v1.0");
    expect(info.isRecommended).toBe(true);
    const serving = contracts.InferenceServing.abi as Abi;
    expect(await view(evm, serving, COMPUTE_SYSTEM_CONTRACTS.InferenceServing, "lockTime")).toBe(120n);
  });

  it("funds the mnemonic's accounts and the DA signer and disperser accounts", () => {
    for (const a of deriveAccounts(TEST_MNEMONIC, 3)) expect(genesis.alloc[a.address]?.balance).toBe(TEN_THOUSAND_ZG);
    expect(da.accounts).toHaveLength(5);
    for (const a of da.accounts) expect(genesis.alloc[a]?.balance, a).toBe(TEN_THOUSAND_ZG);
  });

  it("starts epoch 0 with one quorum in which each genesis signer holds 32 of the 128 slots", async () => {
    const evm = await evmFromAlloc(genesis.alloc);
    const abi = contracts.DASigners.abi as Abi;
    const at = DA_SYSTEM_CONTRACTS.DASigners;
    expect(await view(evm, abi, at, "epochNumber")).toBe(0n);
    expect(await view(evm, abi, at, "quorumCount", [0n])).toBe(1n);
    const quorum = (await view(evm, abi, at, "getQuorum", [0n, 0n])) as string[];
    expect(quorum).toHaveLength(128);
    const held = new Map<string, number>();
    for (const a of quorum) held.set(a.toLowerCase(), (held.get(a.toLowerCase()) ?? 0) + 1);
    expect(Object.fromEntries(held)).toEqual(Object.fromEntries(da.genesisSigners.map((g) => [g.signer.toLowerCase(), 32])));
    for (const g of da.genesisSigners) expect(await view(evm, abi, at, "isSigner", [g.signer])).toBe(true);
    const details = (await view(evm, abi, at, "getSigner", [da.genesisSigners.map((g) => g.signer)])) as { socket: string }[];
    expect(details.map((d) => d.socket)).toEqual(da.signers.map((s) => s.rpc));
  });

  it("deploys the DA contracts without signers too, and none without `da`", async () => {
    const none = (await buildDevGenesis({
      chainId: CHAIN_ID,
      mnemonic: TEST_MNEMONIC,
      accounts: 1,
      balance: 1n,
    })) as unknown as GenesisJSON;
    expect(Object.keys(none.systemContracts).sort()).toEqual(
      [...Object.keys(STORAGE_SYSTEM_CONTRACTS), ...Object.keys(COMPUTE_SYSTEM_CONTRACTS)].sort(),
    );
    expect(none.alloc[DA_SYSTEM_CONTRACTS.DASigners]).toBeUndefined();
    const empty = (await buildDevGenesis({
      chainId: CHAIN_ID,
      mnemonic: TEST_MNEMONIC,
      accounts: 1,
      balance: 1n,
      da: { signers: [] },
    })) as unknown as GenesisJSON;
    expect(empty.systemContracts.DASigners).toBe(DA_SYSTEM_CONTRACTS.DASigners);
    expect(
      await view(await evmFromAlloc(empty.alloc), contracts.DASigners.abi as Abi, DA_SYSTEM_CONTRACTS.DASigners, "quorumCount", [0n]),
    ).toBe(0n);
  });
});
