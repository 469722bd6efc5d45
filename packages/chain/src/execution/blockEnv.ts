import type { EVMRunCallOpts } from "@ethereumjs/evm";
import { Address } from "@ethereumjs/util";

export type EVMBlock = NonNullable<EVMRunCallOpts["block"]>;

/** The block context a transaction executes in. */
export interface BlockEnv {
  number: bigint;
  timestamp: bigint;
  coinbase: Uint8Array;
  gasLimit: bigint;
  baseFeePerGas: bigint;
  prevRandao: Uint8Array;
  /** Hash of a recent block by number (BLOCKHASH); undefined outside the last 256. */
  getBlockHash(number: bigint): Uint8Array | undefined;
}

export function toEVMBlock(env: BlockEnv): EVMBlock {
  return {
    header: {
      number: env.number,
      coinbase: new Address(env.coinbase),
      timestamp: env.timestamp,
      difficulty: 0n,
      prevRandao: env.prevRandao,
      gasLimit: env.gasLimit,
      baseFeePerGas: env.baseFeePerGas,
      // No blob transactions: the blob base fee stays at its minimum.
      getBlobGasPrice: () => 1n,
    },
  };
}
