/**
 * The vocabulary of consensus, shared by the pure state machine (`stateMachine.ts`), the signing
 * layer (`signing.ts`), the WAL, the p2p reactor and the driver that connects them to the
 * execution engine. Everything here is plain data: no I/O, no clock.
 */

/** Steps of a round (Tendermint: propose → prevote → precommit). */
export const Step = { Propose: 1, Prevote: 2, Precommit: 3 } as const;
export type Step = (typeof Step)[keyof typeof Step];

/** Vote types, as signed (part of the canonical encoding). */
export const VoteType = { Prevote: 1, Precommit: 2 } as const;
export type VoteType = (typeof VoteType)[keyof typeof VoteType];

export interface Validator {
  /** 20-byte address (keccak of the BLS public key, last 20 bytes); the set is sorted by it. */
  address: Uint8Array;
  /** BLS12-381 public key, 48 bytes compressed (G1, min-pk as Ethereum's beacon chain). */
  publicKey: Uint8Array;
  /** Voting power, > 0. */
  power: bigint;
}

/** A validator set plus CometBFT proposer priorities (see `validatorSet.ts`). */
export interface ValidatorSetData {
  validators: Validator[];
  /** Proposer priority per validator, same order. */
  priorities: bigint[];
}

/**
 * A vote for a block hash (or nil) in one round. `signature` is a BLS signature (96 bytes, G2) over
 * the canonical vote bytes (`signing.ts`); the state machine only sees votes whose signature the
 * driver already verified.
 */
export interface Vote {
  type: VoteType;
  height: bigint;
  round: number;
  /** null = nil vote. */
  blockHash: Uint8Array | null;
  validatorIndex: number;
  signature: Uint8Array;
}

/** The proposer's signed claim that `blockHash` is its value for (height, round). */
export interface Proposal {
  height: bigint;
  round: number;
  /** The round of the proof-of-lock the proposer re-proposes from, or -1. */
  polRound: number;
  blockHash: Uint8Array;
  /** Unix ms when proposed (informational; block time is the header's). */
  timestamp: number;
  validatorIndex: number;
  signature: Uint8Array;
}

/** +2/3 precommits for one block in one round, aggregated: what makes a block final. */
export interface Commit {
  height: bigint;
  round: number;
  blockHash: Uint8Array;
  /** Bit i set when validator i of the height's set signed. */
  signers: Uint8Array;
  /** Aggregated BLS signature of the signers' precommits. */
  signature: Uint8Array;
}

/** Two conflicting votes by one validator at one height, round and type (CometBFT DuplicateVoteEvidence). */
export interface DuplicateVoteEvidence {
  voteA: Vote;
  voteB: Vote;
  /** The validator's address and power at that height. */
  validator: Uint8Array;
  validatorPower: bigint;
  totalPower: bigint;
}

/** Timeouts in ms; round r waits `base + r * delta`. */
export interface ConsensusTimeouts {
  propose: number;
  proposeDelta: number;
  prevote: number;
  prevoteDelta: number;
  precommit: number;
  precommitDelta: number;
  /** Pause after a commit before the next height starts (0 = as soon as the block is committed). */
  commit: number;
}

/** Defaults for sub-second blocks on a LAN or one machine. */
export const defaultConsensusTimeouts: ConsensusTimeouts = {
  propose: 1_000,
  proposeDelta: 500,
  prevote: 200,
  prevoteDelta: 200,
  precommit: 200,
  precommitDelta: 200,
  commit: 0,
};
