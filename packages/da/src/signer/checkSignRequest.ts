import { equalsBytes } from "@zerog/core";
import { dataRootOf } from "../encoder/dataRoot.js";
import { type CellWithProof, verifyCells } from "../encoder/encodeBlob.js";
import { CELLS_PER_ROW } from "../encoder/params.js";
import { DaError, DaErrorCode } from "../errors.js";
import type { BlobColumns } from "./blobColumns.js";
import { blobSignMessage, commitmentsHashOf } from "./message.js";

/** What a signer reads from the chain to judge a request (over JSON-RPC in a node; a fake in tests). */
export interface SignerChainView {
  /** The owner of each of the 128 slots of (epoch, quorumId), lower-case 0x addresses; null if there is no such quorum. */
  quorum(epoch: number, quorumId: number): Promise<readonly string[] | null>;
  /** Whether `DataUpload(dataRoot, epoch, quorumId)` is on chain. */
  dataUploaded(dataRoot: Uint8Array, epoch: number, quorumId: number): Promise<boolean>;
}

/** The slots (columns) `signer` holds in a quorum, ascending. */
export function slotsOf(quorum: readonly string[], signer: string): number[] {
  const me = signer.toLowerCase();
  const out: number[] = [];
  quorum.forEach((owner, slot) => {
    if (owner.toLowerCase() === me) out.push(slot);
  });
  return out;
}

/**
 * Judges a sign request as 0G's signer does, with KZG cells: the blob was uploaded for that (epoch, quorum); the
 * request carries exactly this signer's slots; the commitments are the data root's; every cell verifies against its
 * row's commitment. Returns the message to sign, or throws `SIGN_REJECTED` with the reason.
 */
export async function checkSignRequest(req: BlobColumns, signer: string, chain: SignerChainView): Promise<Uint8Array> {
  const quorum = await chain.quorum(req.epoch, req.quorumId);
  if (!quorum || quorum.length !== CELLS_PER_ROW) throw rejected(`there is no quorum ${req.quorumId} in epoch ${req.epoch}`);
  if (!(await chain.dataUploaded(req.dataRoot, req.epoch, req.quorumId)))
    throw rejected(`no DataUpload of this data root for epoch ${req.epoch}, quorum ${req.quorumId} is on chain (yet)`);
  const mine = slotsOf(quorum, signer);
  if (mine.length === 0) throw rejected(`this signer holds no slot of quorum ${req.quorumId} in epoch ${req.epoch}`);
  if (mine.length !== req.columns.length || mine.some((c, k) => req.columns[k] !== c))
    throw rejected(`the request carries columns [${req.columns.join(",")}]; this signer's slots are [${mine.join(",")}]`);
  if (!equalsBytes(dataRootOf(req.commitments), req.dataRoot)) throw rejected("the commitments do not hash to the data root");
  const cells: CellWithProof[] = [];
  req.columns.forEach((column, k) => {
    req.commitments.forEach((_, row) => {
      cells.push({ row, column, cell: req.cells[k]![row]!, proof: req.proofs[k]![row]! });
    });
  });
  if (!verifyCells(req.commitments, cells)) throw rejected("a cell does not verify against its row's commitment");
  return blobSignMessage({ ...req, commitmentsHash: commitmentsHashOf(req.commitments) });
}

function rejected(reason: string): DaError {
  return new DaError({ code: DaErrorCode.SIGN_REJECTED, reason }, `refused to sign: ${reason}`);
}
