import { bytesToHex, equalsBytes } from "@zerog/core";
import { dataRootOf } from "../encoder/dataRoot.js";
import { type CellWithProof, decodeBlob, recoverRow, verifyCells } from "../encoder/encodeBlob.js";
import { DATA_CELLS_PER_ROW } from "../encoder/params.js";
import { DaError, DaErrorCode } from "../errors.js";
import type { BlobColumns } from "../signer/blobColumns.js";
import type { BlobRef, SignerClient } from "./signerClient.js";

export interface RetrieveBlobParameters {
  ref: BlobRef;
  /** Signers to ask (each for all the columns it stores). */
  signers: readonly SignerClient[];
  signal?: AbortSignal;
}

export interface RetrieveBlobReturnType {
  data: Uint8Array;
  /** Verified columns used per signer, and what went wrong with the others. */
  report: { url: string; columns: number; error?: string }[];
  recoveredRows: number;
}

/**
 * A blob from any signers holding half of its columns: every cell's proof is checked against its row's commitment,
 * and the commitments against the data root, before a byte is used (0G's retriever trusts rows). Rows whose first 64
 * cells all arrived are read directly; the others are recovered from any 64 verified cells.
 */
export async function retrieveBlob(p: RetrieveBlobParameters): Promise<RetrieveBlobReturnType> {
  const answers = await Promise.allSettled(p.signers.map((s) => s.retrieve(p.ref, undefined, p.signal)));
  const report: RetrieveBlobReturnType["report"] = [];
  let commitments: Uint8Array[] | undefined;
  /** column → its cells by row, verified. */
  const verified = new Map<number, Uint8Array[]>();
  answers.forEach((a, k) => {
    const url = p.signers[k]!.url;
    if (a.status === "rejected") {
      report.push({ url, columns: 0, error: (a.reason as Error).message });
      return;
    }
    const got = a.value;
    if (!equalsBytes(dataRootOf(got.commitments), p.ref.dataRoot)) {
      report.push({ url, columns: 0, error: "its commitments do not hash to the data root" });
      return;
    }
    commitments ??= got.commitments;
    const good = verifiedColumns(got);
    for (const [column, cells] of good) verified.set(column, cells);
    const bad = got.columns.length - good.size;
    report.push({ url, columns: good.size, ...(bad > 0 ? { error: `${bad} column(s) failed their proofs` } : {}) });
  });
  if (!commitments || verified.size < DATA_CELLS_PER_ROW) {
    throw new DaError(
      { code: DaErrorCode.UNAVAILABLE, detail: `${verified.size} verified columns` },
      `blob ${bytesToHex(p.ref.dataRoot)} (epoch ${p.ref.epoch}, quorum ${p.ref.quorumId}) cannot be rebuilt: ` +
        `${verified.size} verified columns of the ${DATA_CELLS_PER_ROW} needed; ` +
        report.map((r) => `${r.url}: ${r.columns} columns${r.error ? ` (${r.error})` : ""}`).join("; "),
    );
  }
  const direct = Array.from({ length: DATA_CELLS_PER_ROW }, (_, c) => c).every((c) => verified.has(c));
  const columns = [...verified.keys()].sort((a, b) => a - b).slice(0, DATA_CELLS_PER_ROW);
  const rows = commitments.map((_, row) =>
    direct
      ? columns.map((c) => verified.get(c)![row]!)
      : recoverRow(
          row,
          columns,
          columns.map((c) => verified.get(c)![row]!),
        ).cells,
  );
  return { data: decodeBlob(rows), report, recoveredRows: direct ? 0 : rows.length };
}

/** The columns of an answer whose every cell verifies (one batch; column by column only when the batch fails). */
function verifiedColumns(got: BlobColumns): Map<number, Uint8Array[]> {
  const cellsOf = (k: number): CellWithProof[] =>
    got.cells[k]!.map((cell, row) => ({ row, column: got.columns[k]!, cell, proof: got.proofs[k]![row]! }));
  const all = got.columns.flatMap((_, k) => cellsOf(k));
  const out = new Map<number, Uint8Array[]>();
  const whole = verifyCells(got.commitments, all);
  got.columns.forEach((column, k) => {
    if (whole || verifyCells(got.commitments, cellsOf(k))) out.set(column, got.cells[k]!);
  });
  return out;
}
