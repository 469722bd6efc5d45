import { bytesToBigInt, concatBytes, type RLPDecoded, rlpDecode, rlpEncode } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";
import type { TxType } from "../tx/transaction.js";
import { type LogTuple, logsBloom } from "./bloom.js";

/** What the chain keeps of a transaction's execution; RPC fields derive from it plus tx and block. */
export interface Receipt {
  type: TxType;
  status: 0 | 1;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  logs: LogTuple[];
  /** For creations: the CREATE address, even when the creation failed (as geth reports it). */
  contractAddress: Uint8Array | null;
}

/** The consensus encoding (EIP-2718) that the receipts root commits to. */
export function encodeReceiptConsensus(r: Receipt): Uint8Array {
  const body = rlpEncode([r.status, r.cumulativeGasUsed, logsBloom(r.logs), r.logs]);
  return r.type === 0 ? body : concatBytes(Uint8Array.of(r.type), body);
}

/** Storage encoding of a block's receipts: compact (no per-receipt blooms). */
export function encodeReceipts(receipts: readonly Receipt[]): Uint8Array {
  return rlpEncode(receipts.map((r) => [r.type, r.status, r.cumulativeGasUsed, r.gasUsed, r.logs, r.contractAddress ?? new Uint8Array(0)]));
}

export function decodeReceipts(enc: Uint8Array): Receipt[] {
  const d = rlpDecode(enc);
  if (!Array.isArray(d)) throw corrupt();
  return d.map((item) => {
    if (!Array.isArray(item) || item.length !== 6) throw corrupt();
    const [type, status, cum, used, logs, ca] = item as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, RLPDecoded, Uint8Array];
    if (!Array.isArray(logs)) throw corrupt();
    return {
      type: Number(bytesToBigInt(type)) as TxType,
      status: Number(bytesToBigInt(status)) as 0 | 1,
      cumulativeGasUsed: bytesToBigInt(cum),
      gasUsed: bytesToBigInt(used),
      logs: logs as unknown as LogTuple[],
      contractAddress: ca.length === 0 ? null : ca,
    };
  });
}

function corrupt(): ChainError {
  return new ChainError({ code: ChainErrorCode.CORRUPT_DATA, what: "receipts" }, "stored receipts are malformed");
}
