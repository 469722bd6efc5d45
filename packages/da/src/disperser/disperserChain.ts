import type { SignedTx } from "./blobRecord.js";

/** `DAEntrance.submitVerifiedCommitRoots` argument for one blob. */
export interface CommitRootSubmission {
  dataRoot: Uint8Array;
  epoch: number;
  quorumId: number;
  commitmentsHash: Uint8Array;
  /** 16 bytes, LSB first. */
  bitmap: Uint8Array;
  /** Aggregate signature, uncompressed (192 bytes, blst order). */
  signature: Uint8Array;
}

export interface ReceiptInfo {
  ok: boolean;
  blockNumber: number;
  /** The `DataUpload` logs of an upload transaction, one per data root. */
  dataUploads: { dataRoot: Uint8Array; epoch: number; quorumId: number }[];
  /** Data roots the transaction emitted `ErasureCommitmentVerified` for. */
  verified: Uint8Array[];
  /** Revert reason, decoded when the contract gave one. */
  revert?: string;
}

export interface RegisteredSigner {
  address: string;
  /** Where its HTTP API listens (the socket it registered). */
  url: string;
  /** Compressed G1 public key (48 bytes). */
  publicKey: Uint8Array;
}

/**
 * What the disperser does on chain, over JSON-RPC. Transactions are signed first and sent separately, so the
 * disperser stores each signed transaction before sending it: after a crash it sends the same bytes again and the
 * chain sees one transaction, never two.
 */
export interface DisperserChain {
  /** `submitOriginalData(dataRoots)`: one transaction for a batch of blobs (one quorum for all of them). */
  signUpload(dataRoots: readonly Uint8Array[]): Promise<SignedTx>;
  /** `submitVerifiedCommitRoots(submissions)` for a batch. */
  signConfirm(submissions: readonly CommitRootSubmission[]): Promise<SignedTx>;
  /** Sends a signed transaction; one already known or mined is not an error. */
  send(tx: SignedTx): Promise<void>;
  /** The receipt, or null while the transaction is not mined. */
  receipt(hash: `0x${string}`): Promise<ReceiptInfo | null>;
  /** The owners of the quorum's 128 slots, lower-case; null if there is no such quorum. */
  quorum(epoch: number, quorumId: number): Promise<readonly string[] | null>;
  signers(addresses: readonly string[]): Promise<RegisteredSigner[]>;
  /** The highest block that is final. */
  finalizedBlock(): Promise<number>;
}
