import type { EVM } from "@ethereumjs/evm";
import { type Abi, decodeErrorResult, type Hex, hexToBytes, keccak256, toHex } from "viem";
import {
  DEVNET_STORAGE_PARAMS,
  type StorageGenesisParams,
  type StorageSystemContractName,
  storageGenesisDeployments,
} from "../../src/index.js";
import { balanceOf, type CallResult, createGenesisEVM, fundAccount, runTx } from "./genesisEvm.js";

export type { CallResult } from "./genesisEvm.js";

/** The hash a block `n` gets in these tests (BLOCKHASH answers it within 256 blocks). */
export const blockHashOf = (n: bigint): Hex => keccak256(toHex(`block ${n}`));

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
    const blockchain = {
      getBlock: async (n: number | bigint) => ({ hash: () => hexToBytes(blockHashOf(BigInt(n))) }),
      putBlock: async () => {},
      shallowCopy() {
        return this;
      },
    };
    const g = await createGenesisEVM(storageGenesisDeployments(params, addresses), { blockchain: blockchain as never });
    return new StorageHarness(g.evm, g.addresses);
  }

  fund(who: Hex, wei: bigint): Promise<void> {
    return fundAccount(this.evm, who, wei);
  }

  balance(who: Hex): Promise<bigint> {
    return balanceOf(this.evm, who);
  }

  call(from: Hex, to: Hex, data: Hex, value = 0n): Promise<CallResult> {
    return runTx(this.evm, from, to, data, value, { blockNumber: this.blockNumber, timestamp: this.timestamp });
  }

  /** Calls and expects a revert; returns the decoded error. */
  async revert(abi: Abi, from: Hex, to: Hex, data: Hex, value = 0n): Promise<{ errorName: string; args: readonly unknown[] | undefined }> {
    const r = await this.call(from, to, data, value);
    if (r.ok) throw new Error("expected a revert");
    const e = decodeErrorResult({ abi, data: r.ret });
    return { errorName: e.errorName, args: e.args ?? [] };
  }
}
