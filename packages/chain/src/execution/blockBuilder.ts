import { type BatchOp, bytesToHex, computeTrieRoot, equalsBytes, keccak256, rlpEncode } from "@zerog/core";
import { BLOOM_BYTES, logsBloom } from "../block/bloom.js";
import { type BlockHeader, encodeHeader, headerHash } from "../block/header.js";
import { encodeReceiptConsensus, type Receipt } from "../block/receipt.js";
import type { StateDiff } from "../state/stateReader.js";
import type { SignedTx } from "../tx/transaction.js";
import type { BlockEnv } from "./blockEnv.js";
import type { TxOutcome } from "./blockExecutor.js";
import type { Block } from "./engine.js";

/** A block after execution: everything needed to check it against a header and to commit it. */
export interface ExecutedBlock {
  block: Block;
  /** The decision's commit, set by finalizeBlock when consensus supplies it. */
  commit?: Uint8Array;
  receipts: Receipt[];
  diff: StateDiff;
  /** State writes from `StateDB.apply`; recomputed if another block was applied meanwhile. */
  stateOps: BatchOp[];
  size: number;
}

export function outcomeToReceipt(o: TxOutcome): Receipt {
  return {
    type: o.tx.type,
    status: o.status,
    cumulativeGasUsed: o.cumulativeGasUsed,
    gasUsed: o.gasUsed,
    logs: o.logs,
    contractAddress: o.contractAddress,
  };
}

/** The header fields that follow from a block's execution. */
export function executionHeaderFields(
  txs: readonly SignedTx[],
  receipts: readonly Receipt[],
): Pick<BlockHeader, "transactionsRoot" | "receiptsRoot" | "logsBloom" | "gasUsed"> {
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const r of receipts) logsBloom(r.logs, bloom);
  return {
    transactionsRoot: computeTrieRoot(txs.map((t, i) => [rlpEncode(i), t.raw])),
    receiptsRoot: computeTrieRoot(receipts.map((r, i) => [rlpEncode(i), encodeReceiptConsensus(r)])),
    logsBloom: bloom,
    gasUsed: receipts.length === 0 ? 0n : receipts[receipts.length - 1]!.cumulativeGasUsed,
  };
}

export function makeHeader(
  parentHash: Uint8Array,
  env: BlockEnv,
  extraData: Uint8Array,
  stateRoot: Uint8Array,
  fields: ReturnType<typeof executionHeaderFields>,
): BlockHeader {
  return {
    parentHash,
    coinbase: env.coinbase,
    stateRoot,
    ...fields,
    number: env.number,
    gasLimit: env.gasLimit,
    timestamp: env.timestamp,
    extraData,
    mixHash: env.prevRandao,
    baseFeePerGas: env.baseFeePerGas,
  };
}

/** RLP size of [header, transactions, uncles, withdrawals], as Ethereum reports a block's size. */
export function blockSize(header: BlockHeader, txs: readonly SignedTx[]): number {
  let txPayload = 0;
  for (const t of txs) txPayload += t.type === 0 ? t.raw.length : rlpStringLength(t.raw.length);
  return rlpListLength(encodeHeader(header).length + rlpListLength(txPayload) + 2);
}

function lengthOfLength(n: number): number {
  let l = 0;
  for (let x = n; x > 0; x = Math.floor(x / 256)) l++;
  return l;
}

function rlpListLength(payload: number): number {
  return payload + (payload < 56 ? 1 : 1 + lengthOfLength(payload));
}

function rlpStringLength(len: number): number {
  return len + (len < 56 ? 1 : 1 + lengthOfLength(len));
}

export function blockFromHeader(header: BlockHeader, txs: SignedTx[]): Block {
  return { header, hash: headerHash(header), txs };
}

/** Differences between a header and the one execution produced, for rejection messages. */
export function headerMismatch(got: BlockHeader, want: BlockHeader): string | undefined {
  const checks: [string, boolean][] = [
    ["stateRoot", equalsBytes(got.stateRoot, want.stateRoot)],
    ["transactionsRoot", equalsBytes(got.transactionsRoot, want.transactionsRoot)],
    ["receiptsRoot", equalsBytes(got.receiptsRoot, want.receiptsRoot)],
    ["logsBloom", equalsBytes(got.logsBloom, want.logsBloom)],
    ["gasUsed", got.gasUsed === want.gasUsed],
    ["baseFeePerGas", got.baseFeePerGas === want.baseFeePerGas],
    ["gasLimit", got.gasLimit === want.gasLimit],
    ["mixHash", equalsBytes(got.mixHash, want.mixHash)],
  ];
  const bad = checks.filter(([, ok]) => !ok).map(([k]) => k);
  return bad.length ? `header mismatch: ${bad.join(", ")}` : undefined;
}

export function prevRandaoFor(parentHash: Uint8Array): Uint8Array {
  return keccak256(parentHash);
}

export function hashKey(hash: Uint8Array): string {
  return bytesToHex(hash);
}
