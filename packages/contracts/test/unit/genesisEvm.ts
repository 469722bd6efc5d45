import { createEVM, type EVM } from "@ethereumjs/evm";
import { Account, Address, createAddressFromString } from "@ethereumjs/util";
import { bytesToHex, type Hex, hexToBytes } from "viem";

/** What one call as a transaction did: success, return data, logs and execution gas. */
export interface CallResult {
  ok: boolean;
  ret: Hex;
  logs: { address: Hex; topics: Hex[]; data: Hex }[];
  gas: bigint;
}

/**
 * An EVM (`createEVM(options)`) with `deployments` constructed at their fixed addresses in order, as devnet genesis
 * does (each constructor runs with nonce 1 at its address; the code it returns is put there). Returns the EVM and the
 * addresses by contract name.
 */
export async function createGenesisEVM<N extends string>(
  deployments: readonly { name: N; address: Hex; initCode: Hex }[],
  options: Parameters<typeof createEVM>[0] = {},
): Promise<{ evm: EVM; addresses: Record<N, Hex> }> {
  const evm = await createEVM(options);
  const zero = createAddressFromString("0x0000000000000000000000000000000000000000");
  for (const d of deployments) {
    const at = createAddressFromString(d.address);
    await evm.stateManager.putAccount(at, new Account(1n, 0n));
    const r = await evm.runCode({ code: hexToBytes(d.initCode), data: new Uint8Array(0), to: at, caller: zero, gasLimit: 30_000_000n });
    if (r.exceptionError) throw new Error(`constructor of ${d.name} failed: ${r.exceptionError.error} ${bytesToHex(r.returnValue)}`);
    await evm.stateManager.putCode(at, r.returnValue);
  }
  return { evm, addresses: Object.fromEntries(deployments.map((d) => [d.name, d.address])) as Record<N, Hex> };
}

export interface TxContext {
  blockNumber: bigint;
  timestamp: bigint;
  /** The transaction's sender when `from` is a contract calling inside it; default `from`. */
  origin?: Hex;
  /**
   * Start from a clean access list with only the precompiles, the caller and the callee warm, as a transaction does,
   * so `gas` is a transaction's execution gas.
   */
  freshAccessList?: boolean;
}

/** Runs one call from `from` to `to` in a block with `ctx`'s number and timestamp. */
export async function runTx(evm: EVM, from: Hex, to: Hex, data: Hex, value: bigint, ctx: TxContext): Promise<CallResult> {
  if (ctx.freshAccessList) {
    const journal = evm.journal;
    await journal.cleanup();
    for (const a of [...evm.precompiles.keys(), from.slice(2).toLowerCase(), to.slice(2).toLowerCase()]) journal.addAlwaysWarmAddress(a);
  }
  const { execResult } = await evm.runCall({
    caller: createAddressFromString(from),
    origin: createAddressFromString(ctx.origin ?? from),
    to: createAddressFromString(to),
    data: hexToBytes(data),
    value,
    gasLimit: 30_000_000n,
    block: {
      header: {
        number: ctx.blockNumber,
        coinbase: new Address(new Uint8Array(20)),
        timestamp: ctx.timestamp,
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

/** Sets `who`'s balance (a fresh account). */
export async function fundAccount(evm: EVM, who: Hex, wei: bigint): Promise<void> {
  await evm.stateManager.putAccount(createAddressFromString(who), new Account(0n, wei));
}

export async function balanceOf(evm: EVM, who: Hex): Promise<bigint> {
  return (await evm.stateManager.getAccount(createAddressFromString(who)))?.balance ?? 0n;
}
