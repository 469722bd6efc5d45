/** Where a blob is in dispersal; each stage is persisted before the side effect that leaves it. */
export type BlobStage =
  | "queued" // received and stored; not encoded or submitted
  | "uploadSigned" // submitOriginalData signed and stored; maybe sent
  | "uploaded" // DataUpload mined: epoch and quorum known
  | "confirmSigned" // signatures aggregated, submitVerifiedCommitRoots signed and stored; maybe sent
  | "confirmed" // ErasureCommitmentVerified mined
  | "finalized" // the confirmation block is final
  | "failed";

/** 0G's `BlobStatus` names (reference §8), with NOT_FOUND for ids never seen (0G answers PROCESSING). */
export type BlobStatus = "PROCESSING" | "CONFIRMED" | "FINALIZED" | "FAILED" | "NOT_FOUND";

export interface SignedTx {
  raw: `0x${string}`;
  hash: `0x${string}`;
}

export interface BlobRecord {
  id: string;
  stage: BlobStage;
  size: number;
  receivedAt: number;
  dataRoot?: string;
  epoch?: number;
  quorumId?: number;
  uploadTx?: SignedTx;
  uploadBlock?: number;
  confirmTx?: SignedTx;
  confirmBlock?: number;
  /** Slots whose signers' signatures are in the aggregate. */
  signedSlots?: number;
  signers?: string[];
  attempts: number;
  error?: string;
}

export function statusOf(stage: BlobStage): BlobStatus {
  if (stage === "confirmed") return "CONFIRMED";
  if (stage === "finalized") return "FINALIZED";
  if (stage === "failed") return "FAILED";
  return "PROCESSING";
}
