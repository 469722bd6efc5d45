import { createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import type { EVM } from "@ethereumjs/evm";
import { type Abi, decodeErrorResult, decodeFunctionResult, encodeFunctionData, type Hex, hexToBytes } from "viem";
import {
  type ComputeGenesisParams,
  type ComputeSystemContractName,
  computeGenesisDeployments,
  inferenceDisputesAbi,
  inferenceServingAbi,
  ledgerManagerAbi,
} from "../../src/index.js";
import { balanceOf, type CallResult, createGenesisEVM, fundAccount, runTx } from "./genesisEvm.js";

export type { CallResult } from "./genesisEvm.js";

export const CHAIN_ID = 16661n;
export const GENESIS_TIME = 1_700_000_000n;

/** Every error the three contracts can raise, to decode a revert whichever contract it came from. */
export const COMPUTE_ERRORS = [...ledgerManagerAbi, ...inferenceServingAbi, ...inferenceDisputesAbi].filter(
  (i) => i.type === "error",
) as Abi;

/**
 * A Prague EVM with the compute contracts constructed at their genesis addresses, in `computeGenesisDeployments`
 * order, and a clock the test sets (`time`, `advance`). Each call is one transaction: a clean access list with only
 * the precompiles, the caller and the callee warm, so `gas` is a transaction's execution gas (add 21,000 and
 * calldata, `intrinsicGas`).
 */
export class ComputeHarness {
  time = GENESIS_TIME;
  blockNumber = 1n;

  private constructor(
    readonly evm: EVM,
    readonly addresses: Record<ComputeSystemContractName, Hex>,
  ) {}

  static async create(params: ComputeGenesisParams): Promise<ComputeHarness> {
    const common = createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet, { hardfork: Hardfork.Prague });
    const { evm, addresses } = await createGenesisEVM(computeGenesisDeployments(params), { common });
    return new ComputeHarness(evm, addresses);
  }

  advance(seconds: bigint): void {
    this.time += seconds;
    this.blockNumber += 1n;
  }

  fund(who: Hex, wei: bigint): Promise<void> {
    return fundAccount(this.evm, who, wei);
  }

  balance(who: Hex): Promise<bigint> {
    return balanceOf(this.evm, who);
  }

  call(from: Hex, to: Hex, data: Hex, value = 0n): Promise<CallResult> {
    return runTx(this.evm, from, to, data, value, { blockNumber: this.blockNumber, timestamp: this.time, freshAccessList: true });
  }

  /** Calls `functionName` and expects success. */
  async send(abi: Abi, from: Hex, to: Hex, functionName: string, args: readonly unknown[] = [], value = 0n): Promise<CallResult> {
    const r = await this.call(from, to, encodeFunctionData({ abi, functionName, args } as never), value);
    if (!r.ok) {
      const e = decodeRevert(r.ret);
      throw new Error(`${functionName} reverted: ${e.errorName}(${e.args.join(", ")})`);
    }
    return r;
  }

  async view<T = unknown>(abi: Abi, to: Hex, functionName: string, args: readonly unknown[] = [], from: Hex = VIEWER): Promise<T> {
    const r = await this.send(abi, from, to, functionName, args);
    return decodeFunctionResult({ abi, functionName, data: r.ret } as never) as T;
  }

  /** Calls and expects a revert; returns the decoded custom error. */
  async revert(
    abi: Abi,
    from: Hex,
    to: Hex,
    functionName: string,
    args: readonly unknown[] = [],
    value = 0n,
  ): Promise<{ errorName: string; args: readonly unknown[] }> {
    const r = await this.call(from, to, encodeFunctionData({ abi, functionName, args } as never), value);
    if (r.ok) throw new Error(`expected ${functionName} to revert`);
    return decodeRevert(r.ret);
  }
}

const VIEWER: Hex = "0x00000000000000000000000000000000000f1e00";

export function decodeRevert(ret: Hex): { errorName: string; args: readonly unknown[] } {
  if (ret === "0x") return { errorName: "(empty revert)", args: [] };
  const e = decodeErrorResult({ abi: COMPUTE_ERRORS, data: ret });
  return { errorName: e.errorName, args: e.args ?? [] };
}

/** 21,000 plus calldata (4 gas per zero byte, 16 per other), what a transaction pays on top of execution. */
export function intrinsicGas(data: Hex): bigint {
  let gas = 21_000n;
  for (const b of hexToBytes(data)) gas += b === 0 ? 4n : 16n;
  return gas;
}
