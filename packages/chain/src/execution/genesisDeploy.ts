import { createEVM } from "@ethereumjs/evm";
import { Account, createAddressFromString, type Address as EVMAddress } from "@ethereumjs/util";
import { type Address, bytesToHex, hexToBytes, isAddress } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";
import { createChainCommon } from "./common.js";
import { patchInterpreter } from "./evmPatches.js";
import type { GenesisAccount } from "./genesis.js";

/** A contract to place in genesis: its creation code (constructor arguments appended) run at a chosen address. */
export interface GenesisContract {
  address: Address;
  /** Creation bytecode followed by the ABI-encoded constructor arguments. */
  initCode: Uint8Array | `0x${string}`;
  balance?: bigint;
}

/** What the constructor left behind: the runtime code it returned and every non-zero storage slot it wrote. */
export interface DeployedGenesisContract {
  code: Uint8Array;
  /** 32-byte slot (0x hex) → value without leading zeros, as a genesis `alloc` holds it. */
  storage: Map<string, Uint8Array>;
}

export interface GenesisDeployOptions {
  /** The chain id the constructors see (`block.chainid`); default 1. */
  chainId?: bigint;
  /** The constructors' `msg.sender` and `tx.origin`; default the zero address. */
  deployer?: Address;
}

const CONSTRUCTOR_GAS = 30_000_000n;

/**
 * Runs each contract's constructor in one fresh EVM (Prague rules, as the chain), in order, at its own address, so
 * system contracts get fixed addresses and may name each other in their constructor arguments. Block number and
 * timestamp are 0. Throws `CHAIN_GENESIS_INVALID` if a constructor reverts.
 */
export async function deployGenesisContracts(
  list: readonly GenesisContract[],
  opts: GenesisDeployOptions = {},
): Promise<Map<Address, GenesisAccount>> {
  await patchInterpreter();
  const evm = await createEVM({ common: createChainCommon(opts.chainId ?? 1n) });
  const written = recordStorageWrites(evm.stateManager);
  const caller = createAddressFromString(opts.deployer ?? "0x0000000000000000000000000000000000000000");
  const out = new Map<Address, GenesisAccount>();
  for (const c of list) {
    if (!isAddress(c.address)) fail(`${String(c.address)} is not an address`);
    const at = createAddressFromString(c.address);
    const initCode = typeof c.initCode === "string" ? hexToBytes(c.initCode) : c.initCode;
    await evm.stateManager.putAccount(at, new Account(1n, c.balance ?? 0n));
    const result = await evm.runCode({
      code: initCode,
      data: new Uint8Array(0),
      to: at,
      caller,
      origin: caller,
      gasLimit: CONSTRUCTOR_GAS,
    });
    if (result.exceptionError) fail(`constructor of the contract at ${c.address} failed: ${result.exceptionError.error}`);
    if (result.returnValue.length === 0) fail(`constructor of the contract at ${c.address} returned no code`);
    // Later constructors (and calls) must see this contract's code.
    await evm.stateManager.putCode(at, result.returnValue);
    const deployed: DeployedGenesisContract = { code: result.returnValue, storage: written.get(at) };
    out.set(c.address.toLowerCase() as Address, { balance: c.balance ?? 0n, nonce: 1n, code: deployed.code, storage: deployed.storage });
  }
  return out;
}

/** One contract; see `deployGenesisContracts`. */
export async function deployGenesisContract(c: GenesisContract, opts: GenesisDeployOptions = {}): Promise<DeployedGenesisContract> {
  const account = (await deployGenesisContracts([c], opts)).get(c.address.toLowerCase() as Address);
  return { code: account?.code ?? new Uint8Array(0), storage: account?.storage ?? new Map() };
}

interface StorageWriter {
  putStorage(address: EVMAddress, key: Uint8Array, value: Uint8Array): Promise<void>;
}

/** Wraps the state manager's `putStorage` to keep the last value of every slot per address. */
function recordStorageWrites(sm: StorageWriter): { get(a: EVMAddress): Map<string, Uint8Array> } {
  const byAddress = new Map<string, Map<string, Uint8Array>>();
  const put = sm.putStorage.bind(sm);
  sm.putStorage = async (address, key, value) => {
    const a = address.toString();
    let slots = byAddress.get(a);
    if (!slots) {
      slots = new Map();
      byAddress.set(a, slots);
    }
    const k = bytesToHex(leftPad32(key));
    const v = stripLeadingZeros(value);
    if (v.length === 0) slots.delete(k);
    else slots.set(k, v.slice());
    await put(address, key, value);
  };
  return {
    get: (a) =>
      new Map([...(byAddress.get(a.toString()) ?? new Map<string, Uint8Array>())].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))),
  };
}

function leftPad32(b: Uint8Array): Uint8Array {
  if (b.length >= 32) return b;
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

function stripLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

function fail(reason: string): never {
  throw new ChainError({ code: ChainErrorCode.GENESIS_INVALID, reason }, `genesis deployment: ${reason}`);
}
