import { equalsBytes } from "@zerog/core";
import { dataRootOf } from "../encoder/dataRoot.js";
import { verifyCells } from "../encoder/encodeBlob.js";
import { CELLS_PER_ROW, DATA_CELLS_PER_ROW } from "../encoder/params.js";
import { DaError, DaErrorCode } from "../errors.js";
import type { BlobRef, SignerClient } from "./signerClient.js";

/** Chance that one uniformly random cell is served when more than half of the columns are withheld (≤ 63 of 128). */
const SERVED_IF_UNAVAILABLE = (DATA_CELLS_PER_ROW - 1) / CELLS_PER_ROW;

/** Probability that `k` random cells all pass although more than 64 of the 128 columns are withheld. */
export function samplingFailureBound(k: number): number {
  return SERVED_IF_UNAVAILABLE ** k;
}

/** The fewest samples whose failure bound is at most `target` (20 for 1e-6). */
export function samplesFor(target: number): number {
  return Math.ceil(Math.log(target) / Math.log(SERVED_IF_UNAVAILABLE));
}

export interface SampleBlobParameters {
  ref: BlobRef;
  /** The owner of each of the quorum's 128 slots (lower-case addresses). */
  quorum: readonly string[];
  /** How to reach each signer, by lower-case address. */
  signers: ReadonlyMap<string, SignerClient>;
  /** Cells to sample (default: `samplesFor(1e-6)`). */
  samples?: number;
  /** Uniform in [0, 1) (default Math.random); injected for deterministic tests. */
  random?: () => number;
  signal?: AbortSignal;
}

export interface SampleResult {
  row: number;
  column: number;
  signer: string;
  ok: boolean;
  reason?: string;
  ms: number;
}

export interface SampleBlobReturnType {
  passed: boolean;
  samples: SampleResult[];
  /** Probability that a blob with more than half of its columns withheld passes this many samples. */
  failureBound: number;
}

/**
 * Light-client data availability sampling. The row commitments come from any signer and are checked against the data
 * root; then `k` distinct random (row, column) cells are fetched from the signers holding those columns and each
 * verified against its row's commitment. Signers custody whole columns, so a blob that cannot be rebuilt has more than
 * 64 columns withheld and each sample then fails with probability > 1/2: all pass with probability ≤ (63/128)^k.
 */
export async function sampleBlob(p: SampleBlobParameters): Promise<SampleBlobReturnType> {
  const k = p.samples ?? samplesFor(1e-6);
  const random = p.random ?? Math.random;
  const commitments = await fetchCommitments(p);
  const picked = new Set<number>();
  const total = commitments.length * CELLS_PER_ROW;
  while (picked.size < Math.min(k, total)) picked.add(Math.floor(random() * total));
  const samples = await Promise.all(
    [...picked].map(async (n): Promise<SampleResult> => {
      const row = Math.floor(n / CELLS_PER_ROW);
      const column = n % CELLS_PER_ROW;
      const signer = p.quorum[column]!.toLowerCase();
      const client = p.signers.get(signer);
      const t = performance.now();
      if (!client) return { row, column, signer, ok: false, reason: "no known URL for its signer", ms: 0 };
      try {
        const got = await client.cell(p.ref, row, column, p.signal);
        const ok = verifyCells(commitments, [{ row, column, cell: got.cell, proof: got.proof }]);
        return { row, column, signer, ok, ...(ok ? {} : { reason: "the cell does not verify" }), ms: performance.now() - t };
      } catch (e) {
        return { row, column, signer, ok: false, reason: (e as Error).message, ms: performance.now() - t };
      }
    }),
  );
  return { passed: samples.every((s) => s.ok), samples, failureBound: samplingFailureBound(samples.length) };
}

async function fetchCommitments(p: SampleBlobParameters): Promise<Uint8Array[]> {
  const errors: string[] = [];
  for (const client of p.signers.values()) {
    try {
      const got = await client.retrieve(p.ref, [], p.signal); // no columns: just the commitments
      if (equalsBytes(dataRootOf(got.commitments), p.ref.dataRoot)) return got.commitments;
      errors.push(`${client.url}: commitments that do not hash to the data root`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new DaError(
    { code: DaErrorCode.UNAVAILABLE, detail: "no commitments" },
    `no signer gave the blob's row commitments: ${errors.join("; ")}`,
  );
}
