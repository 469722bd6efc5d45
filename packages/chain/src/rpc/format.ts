import { bytesToHex, EMPTY_TRIE_ROOT, type Hex, toQuantity } from "@zerog/core";
import type { LogTuple } from "../block/bloom.js";
import { logsBloom } from "../block/bloom.js";
import { HEADER_CONSTANTS } from "../block/header.js";
import type { Receipt } from "../block/receipt.js";
import { EMPTY_REQUESTS_HASH, EMPTY_UNCLES_HASH } from "../params.js";
import type { StoredBlock } from "../store/chainStore.js";
import { effectiveGasPrice, type SignedTx } from "../tx/transaction.js";

const q = toQuantity;
const EMPTY_ROOT = bytesToHex(EMPTY_TRIE_ROOT);
const h = bytesToHex;

/** Where a transaction sits, when it is in a block. */
export interface TxLocation {
  blockHash: Uint8Array;
  blockNumber: bigint;
  index: number;
  baseFee: bigint;
}

export function formatTx(tx: SignedTx, loc: TxLocation | null): Record<string, unknown> {
  const out: Record<string, unknown> = {
    blockHash: loc ? h(loc.blockHash) : null,
    blockNumber: loc ? q(loc.blockNumber) : null,
    from: h(tx.sender),
    gas: q(tx.gasLimit),
    gasPrice: q(tx.type === 2 ? (loc ? effectiveGasPrice(tx, loc.baseFee) : tx.maxFeePerGas) : tx.maxFeePerGas),
    hash: h(tx.hash),
    input: h(tx.data),
    nonce: q(tx.nonce),
    to: tx.to ? h(tx.to) : null,
    transactionIndex: loc ? q(loc.index) : null,
    value: q(tx.value),
    type: q(tx.type),
    v: q(tx.v),
    r: q(tx.r),
    s: q(tx.s),
  };
  if (tx.chainId !== null) out.chainId = q(tx.chainId);
  if (tx.type === 2) {
    out.maxFeePerGas = q(tx.maxFeePerGas);
    out.maxPriorityFeePerGas = q(tx.maxPriorityFeePerGas);
  }
  if (tx.type !== 0) {
    out.accessList = tx.accessList.map((a) => ({ address: h(a.address), storageKeys: a.storageKeys.map(h) }));
    out.yParity = q(tx.v);
  }
  return out;
}

export function formatBlock(b: StoredBlock, txs: Record<string, unknown>[] | Hex[]): Record<string, unknown> {
  const hd = b.header;
  return {
    number: q(hd.number),
    hash: h(b.hash),
    parentHash: h(hd.parentHash),
    nonce: h(HEADER_CONSTANTS.nonce),
    sha3Uncles: EMPTY_UNCLES_HASH,
    logsBloom: h(hd.logsBloom),
    transactionsRoot: h(hd.transactionsRoot),
    stateRoot: h(hd.stateRoot),
    receiptsRoot: h(hd.receiptsRoot),
    miner: h(hd.coinbase),
    difficulty: "0x0",
    totalDifficulty: "0x0",
    extraData: h(hd.extraData),
    size: q(b.size),
    gasLimit: q(hd.gasLimit),
    gasUsed: q(hd.gasUsed),
    timestamp: q(hd.timestamp),
    transactions: txs,
    uncles: [],
    baseFeePerGas: q(hd.baseFeePerGas),
    mixHash: h(hd.mixHash),
    withdrawals: [],
    withdrawalsRoot: EMPTY_ROOT,
    blobGasUsed: "0x0",
    excessBlobGas: "0x0",
    parentBeaconBlockRoot: h(HEADER_CONSTANTS.zero32),
    requestsHash: EMPTY_REQUESTS_HASH,
  };
}

export function formatLog(
  log: LogTuple,
  ctx: { blockHash: Uint8Array; blockNumber: bigint; txHash: Uint8Array; txIndex: number; logIndex: number; timestamp: bigint },
  removed = false,
): Record<string, unknown> {
  return {
    address: h(log[0]),
    topics: log[1].map(h),
    data: h(log[2]),
    blockNumber: q(ctx.blockNumber),
    blockHash: h(ctx.blockHash),
    blockTimestamp: q(ctx.timestamp),
    transactionHash: h(ctx.txHash),
    transactionIndex: q(ctx.txIndex),
    logIndex: q(ctx.logIndex),
    removed,
  };
}

/** Receipts of a block with block-wide log indexes. */
export function formatReceipts(b: StoredBlock, txs: readonly SignedTx[], receipts: readonly Receipt[]): Record<string, unknown>[] {
  let logIndex = 0;
  return receipts.map((r, i) => {
    const out = formatReceipt(b, txs[i]!, r, i, logIndex);
    logIndex += r.logs.length;
    return out;
  });
}

/** One receipt; `firstLogIndex` is the number of logs before it in the block. */
export function formatReceipt(b: StoredBlock, tx: SignedTx, r: Receipt, i: number, firstLogIndex: number): Record<string, unknown> {
  let logIndex = firstLogIndex;
  const logs = r.logs.map((l) =>
    formatLog(l, {
      blockHash: b.hash,
      blockNumber: b.header.number,
      txHash: tx.hash,
      txIndex: i,
      logIndex: logIndex++,
      timestamp: b.header.timestamp,
    }),
  );
  return {
    transactionHash: h(tx.hash),
    transactionIndex: q(i),
    blockHash: h(b.hash),
    blockNumber: q(b.header.number),
    from: h(tx.sender),
    to: tx.to ? h(tx.to) : null,
    cumulativeGasUsed: q(r.cumulativeGasUsed),
    gasUsed: q(r.gasUsed),
    contractAddress: r.contractAddress ? h(r.contractAddress) : null,
    logs,
    logsBloom: h(logsBloom(r.logs)),
    status: q(r.status),
    effectiveGasPrice: q(effectiveGasPrice(tx, b.header.baseFeePerGas)),
    type: q(r.type),
  };
}
