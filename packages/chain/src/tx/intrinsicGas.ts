import {
  INITCODE_WORD_GAS,
  TOTAL_COST_FLOOR_PER_TOKEN,
  TX_ACCESS_LIST_ADDRESS_GAS,
  TX_ACCESS_LIST_STORAGE_KEY_GAS,
  TX_CREATE_GAS,
  TX_DATA_NONZERO_GAS,
  TX_DATA_ZERO_GAS,
  TX_GAS,
} from "../params.js";
import type { UnsignedTx } from "./transaction.js";

function calldataCounts(data: Uint8Array): { zeros: bigint; nonZeros: bigint } {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return { zeros: BigInt(zeros), nonZeros: BigInt(data.length - zeros) };
}

/** Gas charged before execution starts (Prague rules, EIP-2028/2930/3860). */
export function intrinsicGas(tx: Pick<UnsignedTx, "to" | "data" | "accessList">): bigint {
  const { zeros, nonZeros } = calldataCounts(tx.data);
  let gas = TX_GAS + zeros * TX_DATA_ZERO_GAS + nonZeros * TX_DATA_NONZERO_GAS;
  if (tx.to === null) gas += TX_CREATE_GAS + BigInt(Math.ceil(tx.data.length / 32)) * INITCODE_WORD_GAS;
  for (const item of tx.accessList) gas += TX_ACCESS_LIST_ADDRESS_GAS + BigInt(item.storageKeys.length) * TX_ACCESS_LIST_STORAGE_KEY_GAS;
  return gas;
}

/** EIP-7623: the least gas a transaction is charged, from its calldata tokens. */
export function calldataFloorGas(tx: Pick<UnsignedTx, "data">): bigint {
  const { zeros, nonZeros } = calldataCounts(tx.data);
  return TX_GAS + (zeros + nonZeros * 4n) * TOTAL_COST_FLOOR_PER_TOKEN;
}

/** The gas limit a transaction needs at the very least. */
export function minimumGasLimit(tx: Pick<UnsignedTx, "to" | "data" | "accessList">): bigint {
  const a = intrinsicGas(tx);
  const b = calldataFloorGas(tx);
  return a > b ? a : b;
}
