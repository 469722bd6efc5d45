import type { BlockHeader } from "../block/header.js";
import type { Receipt } from "../block/receipt.js";
import type { TxError } from "../errors.js";
import type { ChainHead } from "../store/chainStore.js";
import type { SignedTx } from "../tx/transaction.js";

/**
 * The boundary between consensus and execution (ABCI++ / Engine API style). Consensus decides which
 * block comes next and when it is final; execution builds, checks, runs and stores blocks. Neither
 * side sees the other's internals: consensus never touches state, execution never sees votes.
 *
 * A height goes: the proposer calls `prepareProposal`; every validator calls `processProposal` on
 * what it receives; once the block is decided, `finalizeBlock` then `commit`.
 */
export interface ExecutionEngine {
  /** Builds a block on the current head from the candidates. */
  prepareProposal(params: ProposalParams): Promise<ProposalResult>;
  /** Checks a proposed block by executing it; accepting means its header matches the execution. */
  processProposal(block: Block): Promise<ProcessResult>;
  /**
   * Executes (or reuses the execution of) the decided block; it becomes the block to commit.
   * `decision.commit` is consensus's proof of the decision (stored with the block for syncing peers).
   */
  finalizeBlock(block: Block, decision?: Decision): Promise<FinalizeResult>;
  /** Durably stores the finalized block and makes it the head. */
  commit(): Promise<ChainHead>;
}

export interface Block {
  header: BlockHeader;
  hash: Uint8Array;
  txs: SignedTx[];
  /** Proven validator misbehaviour the block records (the header's extraData commits to it). */
  misbehavior?: Misbehavior[];
}

/** Consensus-proven misbehaviour for the application to act on (slashing), as ABCI++'s `Misbehavior`. */
export interface Misbehavior {
  kind: "duplicate-vote";
  /** The offending validator's address. */
  validator: Uint8Array;
  /** Height of the offence. */
  height: bigint;
  /** The validator's power then, and the total. */
  power: bigint;
  totalPower: bigint;
  /** The encoded evidence (consensus decodes and verifies it; execution stores it). */
  evidence: Uint8Array;
}

/** What consensus hands execution with a decided block. */
export interface Decision {
  /** The encoded commit (aggregated precommits) that decided the block. */
  commit: Uint8Array;
}

/** The block builder's view of the mempool: best transaction first, nonce order per sender. */
export interface TxCandidates {
  peek(): SignedTx | undefined;
  /** The peeked transaction was handled: move to that sender's next one. */
  shift(): void;
  /** Skip the rest of the peeked transaction's sender for this block. */
  pop(): void;
}

/** Candidates that are exactly `txs`, in order (a block's list given in advance); `pop` skips one. */
export function listCandidates(txs: readonly SignedTx[]): TxCandidates {
  let i = 0;
  return { peek: () => txs[i], shift: () => void i++, pop: () => void i++ };
}

export interface ProposalParams {
  height: bigint;
  /** Unix seconds; at least the parent's. */
  timestamp: bigint;
  /** Receives the priority fees (the block's coinbase). */
  proposer: Uint8Array;
  candidates: TxCandidates;
  /** Stop adding transactions once building took this long (ms), so block times hold under load. */
  maxBuildMs?: number;
  maxTxs?: number;
  /** Misbehaviour to record in the block. */
  misbehavior?: Misbehavior[];
  /**
   * Called once the transactions are chosen and executed, before the block is sealed (its roots computed), with
   * the block's transactions and timestamp: consensus sends them ahead so peers can build the same block meanwhile.
   */
  onTxsChosen?: (txs: readonly SignedTx[], timestamp: bigint) => void;
}

export interface ProposalResult {
  block: Block;
  /** Candidates that were invalid at their turn (the mempool should drop them). */
  rejected: { tx: SignedTx; error: TxError }[];
}

export type ProcessResult = { accept: true } | { accept: false; reason: string };

export interface FinalizeResult {
  receipts: Receipt[];
  stateRoot: Uint8Array;
  gasUsed: bigint;
}

/** Delivered after every commit: to RPC subscriptions, filters and the mempool. */
export interface CommittedBlock {
  block: Block;
  /** The decision's commit, when consensus supplied one. */
  commit?: Uint8Array;
  receipts: Receipt[];
  size: number;
}
