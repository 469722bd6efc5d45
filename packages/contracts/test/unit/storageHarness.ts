import { createEVM, type EVM } from "@ethereumjs/evm";
import { Account, Address, createAddressFromString } from "@ethereumjs/util";
import { type Abi, bytesToHex, decodeErrorResult, type Hex, hexToBytes, keccak256, toHex } from "viem";
import {
  DEVNET_STORAGE_PARAMS,
  type StorageGenesisParams,
  type StorageSystemContractName,
  storageGenesisDeployments,
} from "../../src/index.js";

/** The hash a block `n` gets in these tests (BLOCKHASH answers it within 256 blocks). */
export const blockHashOf = (n: bigint): Hex => keccak256(toHex(`block ${n}`));

export interface CallResult {
  ok: boolean;
  ret: Hex;
  logs: { address: Hex; topics: Hex[]; data: Hex }[];
  gas: bigint;
}

/** A fresh EVM with the storage contracts constructed at fixed addresses, as genesis does, and a block clock. */
export class StorageHarness {
  blockNumber = 1n;
  timestamp = 1_700_000_000n;

  private constructor(
    readonly evm: EVM,
    readonly addresses: Record<StorageSystemContractName, Hex>,
  ) {}

  static async create(
    params: StorageGenesisParams = DEVNET_STORAGE_PARAMS,
    addresses?: Record<StorageSystemContractName, Hex>,
  ): Promise<StorageHarness> {
    const evm = await createEVM({
      blockchain: {
        getBlock: async (n: number | bigint) => ({ hash: () => hexToBytes(blockHashOf(BigInt(n))) }),
        putBlock: async () => {},
        shallowCopy() {
          return this;
        },
      } as never,
    });
    const deployments = storageGenesisDeployments(params, addresses);
    const zero = createAddressFromString("0x0000000000000000000000000000000000000000");
    for (const d of deployments) {
      const at = createAddressFromString(d.address);
      await evm.stateManager.putAccount(at, new Account(1n, 0n));
      const r = await evm.runCode({ code: hexToBytes(d.initCode), data: new Uint8Array(0), to: at, caller: zero, gasLimit: 30_000_000n });
      if (r.exceptionError) throw new Error(`constructor of ${d.name} failed: ${r.exceptionError.error}`);
      await evm.stateManager.putCode(at, r.returnValue);
    }
    const map = Object.fromEntries(deployments.map((d) => [d.name, d.address])) as Record<StorageSystemContractName, Hex>;
    return new StorageHarness(evm, map);
  }

  async fund(who: Hex, wei: bigint): Promise<void> {
    await this.evm.stateManager.putAccount(createAddressFromString(who), new Account(0n, wei));
  }

  async balance(who: Hex): Promise<bigint> {
    return (await this.evm.stateManager.getAccount(createAddressFromString(who)))?.balance ?? 0n;
  }

  async call(from: Hex, to: Hex, data: Hex, value = 0n): Promise<CallResult> {
    const { execResult } = await this.evm.runCall({
      caller: createAddressFromString(from),
      origin: createAddressFromString(from),
      to: createAddressFromString(to),
      data: hexToBytes(data),
      value,
      gasLimit: 30_000_000n,
      block: {
        header: {
          number: this.blockNumber,
          coinbase: new Address(new Uint8Array(20)),
          timestamp: this.timestamp,
          difficulty: 0n,
          prevRandao: new Uint8Array(32),
          gasLimit: 60_000_000n,
          baseFeePerGas: 0n,
          getBlobGasPrice: () => 1n,
        },
      } as never,
    });
    return {
      ok: execResult.exceptionError === undefined,
      ret: bytesToHex(execResult.returnValue),
      logs: (execResult.logs ?? []).map(([address, topics, data]) => ({
        address: bytesToHex(address),
        topics: topics.map((t) => bytesToHex(t)),
        data: bytesToHex(data),
      })),
      gas: execResult.executionGasUsed,
    };
  }

  /** Calls and expects a revert; returns the decoded error. */
  async revert(abi: Abi, from: Hex, to: Hex, data: Hex, value = 0n): Promise<{ errorName: string; args: readonly unknown[] | undefined }> {
    const r = await this.call(from, to, data, value);
    if (r.ok) throw new Error("expected a revert");
    const e = decodeErrorResult({ abi, data: r.ret });
    return { errorName: e.errorName, args: e.args ?? [] };
  }
}
