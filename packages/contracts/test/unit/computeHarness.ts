import { createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import { createEVM, type EVM } from "@ethereumjs/evm";
import { Account, Address, createAddressFromString } from "@ethereumjs/util";
import { type Abi, bytesToHex, decodeErrorResult, decodeFunctionResult, encodeFunctionData, type Hex, hexToBytes } from "viem";
import {
  type ComputeGenesisParams,
  type ComputeSystemContractName,
  computeGenesisDeployments,
  inferenceDisputesAbi,
  inferenceServingAbi,
  ledgerManagerAbi,
} from "../../src/index.js";

export const CHAIN_ID = 16661n;
export const GENESIS_TIME = 1_700_000_000n;

/** Every error the three contracts can raise, to decode a revert whichever contract it came from. */
export const COMPUTE_ERRORS = [...ledgerManagerAbi, ...inferenceServingAbi, ...inferenceDisputesAbi].filter(
  (i) => i.type === "error",
) as Abi;

export interface CallResult {
  ok: boolean;
  ret: Hex;
  logs: { address: Hex; topics: Hex[]; data: Hex }[];
  gas: bigint;
}

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
    const evm = await createEVM({ common });
    const deployments = computeGenesisDeployments(params);
    const zero = createAddressFromString("0x0000000000000000000000000000000000000000");
    for (const d of deployments) {
      const at = createAddressFromString(d.address);
      await evm.stateManager.putAccount(at, new Account(1n, 0n));
      const r = await evm.runCode({ code: hexToBytes(d.initCode), data: new Uint8Array(0), to: at, caller: zero, gasLimit: 30_000_000n });
      if (r.exceptionError) throw new Error(`constructor of ${d.name} failed: ${r.exceptionError.error} ${bytesToHex(r.returnValue)}`);
      await evm.stateManager.putCode(at, r.returnValue);
    }
    const map = Object.fromEntries(deployments.map((d) => [d.name, d.address])) as Record<ComputeSystemContractName, Hex>;
    return new ComputeHarness(evm, map);
  }

  advance(seconds: bigint): void {
    this.time += seconds;
    this.blockNumber += 1n;
  }

  async fund(who: Hex, wei: bigint): Promise<void> {
    await this.evm.stateManager.putAccount(createAddressFromString(who), new Account(0n, wei));
  }

  async balance(who: Hex): Promise<bigint> {
    return (await this.evm.stateManager.getAccount(createAddressFromString(who)))?.balance ?? 0n;
  }

  async call(from: Hex, to: Hex, data: Hex, value = 0n): Promise<CallResult> {
    const journal = this.evm.journal;
    await journal.cleanup();
    for (const a of [...this.evm.precompiles.keys(), from.slice(2).toLowerCase(), to.slice(2).toLowerCase()])
      journal.addAlwaysWarmAddress(a);
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
          timestamp: this.time,
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
