import { ZgError } from "@zerog/core";

/** Why a transaction was refused (decoding, signature, or against state and the pool). */
export enum TxErrorCode {
  DECODE = "TX_DECODE",
  UNSUPPORTED_TYPE = "TX_UNSUPPORTED_TYPE",
  OVERSIZED = "TX_OVERSIZED",
  INVALID_SIGNATURE = "TX_INVALID_SIGNATURE",
  WRONG_CHAIN_ID = "TX_WRONG_CHAIN_ID",
  FIELD_OUT_OF_RANGE = "TX_FIELD_OUT_OF_RANGE",
  INTRINSIC_GAS_TOO_LOW = "TX_INTRINSIC_GAS_TOO_LOW",
  GAS_LIMIT_EXCEEDS_BLOCK = "TX_GAS_LIMIT_EXCEEDS_BLOCK",
  TIP_ABOVE_FEE_CAP = "TX_TIP_ABOVE_FEE_CAP",
  FEE_CAP_BELOW_BASE_FEE = "TX_FEE_CAP_BELOW_BASE_FEE",
  NONCE_TOO_LOW = "TX_NONCE_TOO_LOW",
  NONCE_TOO_HIGH = "TX_NONCE_TOO_HIGH",
  INSUFFICIENT_FUNDS = "TX_INSUFFICIENT_FUNDS",
  SENDER_NOT_EOA = "TX_SENDER_NOT_EOA",
  INITCODE_TOO_LARGE = "TX_INITCODE_TOO_LARGE",
}

export type TxErrorType =
  | { code: TxErrorCode.DECODE; reason: string }
  | { code: TxErrorCode.UNSUPPORTED_TYPE; txType: number }
  | { code: TxErrorCode.OVERSIZED; size: number; max: number }
  | { code: TxErrorCode.INVALID_SIGNATURE; reason: string }
  | { code: TxErrorCode.WRONG_CHAIN_ID; expected: bigint; actual: bigint }
  | { code: TxErrorCode.FIELD_OUT_OF_RANGE; field: string }
  | { code: TxErrorCode.INTRINSIC_GAS_TOO_LOW; gasLimit: bigint; intrinsic: bigint }
  | { code: TxErrorCode.GAS_LIMIT_EXCEEDS_BLOCK; gasLimit: bigint; blockGasLimit: bigint }
  | { code: TxErrorCode.TIP_ABOVE_FEE_CAP; maxPriorityFeePerGas: bigint; maxFeePerGas: bigint }
  | { code: TxErrorCode.FEE_CAP_BELOW_BASE_FEE; maxFeePerGas: bigint; baseFee: bigint }
  | { code: TxErrorCode.NONCE_TOO_LOW; nonce: bigint; accountNonce: bigint }
  | { code: TxErrorCode.NONCE_TOO_HIGH; nonce: bigint; accountNonce: bigint }
  | { code: TxErrorCode.INSUFFICIENT_FUNDS; cost: bigint; balance: bigint }
  | { code: TxErrorCode.SENDER_NOT_EOA }
  | { code: TxErrorCode.INITCODE_TOO_LARGE; size: number; max: number };

export class TxError extends ZgError<TxErrorType> {}

/** Why the mempool refused a transaction that is itself valid. */
export enum MempoolErrorCode {
  ALREADY_KNOWN = "MEMPOOL_ALREADY_KNOWN",
  REPLACEMENT_UNDERPRICED = "MEMPOOL_REPLACEMENT_UNDERPRICED",
  SENDER_LIMIT = "MEMPOOL_SENDER_LIMIT",
  POOL_FULL = "MEMPOOL_POOL_FULL",
  NONCE_GAP_TOO_LARGE = "MEMPOOL_NONCE_GAP_TOO_LARGE",
}

export type MempoolErrorType =
  | { code: MempoolErrorCode.ALREADY_KNOWN; hash: string }
  | { code: MempoolErrorCode.REPLACEMENT_UNDERPRICED; hash: string }
  | { code: MempoolErrorCode.SENDER_LIMIT; sender: string; limit: number }
  | { code: MempoolErrorCode.POOL_FULL; limit: number }
  | { code: MempoolErrorCode.NONCE_GAP_TOO_LARGE; nonce: bigint; accountNonce: bigint; maxGap: number };

export class MempoolError extends ZgError<MempoolErrorType> {}

/** Failures of block execution and the chain store. */
export enum ChainErrorCode {
  INVALID_BLOCK = "CHAIN_INVALID_BLOCK",
  UNKNOWN_BLOCK = "CHAIN_UNKNOWN_BLOCK",
  MISSING_STATE = "CHAIN_MISSING_STATE",
  GENESIS_INVALID = "CHAIN_GENESIS_INVALID",
  GENESIS_MISMATCH = "CHAIN_GENESIS_MISMATCH",
  ENGINE_STATE = "CHAIN_ENGINE_STATE",
  CORRUPT_DATA = "CHAIN_CORRUPT_DATA",
  INVALID_OPTION = "CHAIN_INVALID_OPTION",
}

export type ChainErrorType =
  | { code: ChainErrorCode.INVALID_BLOCK; height: bigint; reason: string }
  | { code: ChainErrorCode.UNKNOWN_BLOCK; block: string }
  | { code: ChainErrorCode.MISSING_STATE; root: string }
  | { code: ChainErrorCode.GENESIS_INVALID; reason: string }
  | { code: ChainErrorCode.GENESIS_MISMATCH; stored: string; given: string }
  | { code: ChainErrorCode.ENGINE_STATE; reason: string }
  | { code: ChainErrorCode.CORRUPT_DATA; what: string }
  | { code: ChainErrorCode.INVALID_OPTION; option: string };

export class ChainError extends ZgError<ChainErrorType> {}
