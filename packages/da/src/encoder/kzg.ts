import { createRequire } from "node:module";
import type * as CKZG from "c-kzg";
import { DaError, DaErrorCode } from "../errors.js";

/**
 * c-kzg 4 (EIP-4844 commitments, EIP-7594 cells), with Ethereum's mainnet trusted setup bundled in the package. The
 * setup takes 2–3 s to load, so it is loaded once per process (per worker thread), on first use.
 */
export type KZG = typeof CKZG;

/** Precomputed tables for cell proofs: 8 cuts `computeCellsAndKzgProofs` from ~390 to ~215 ms for ~0.6 s more load. */
export const DEFAULT_KZG_PRECOMPUTE = 8;

let kzg: KZG | undefined;

export function loadKZG(precompute = DEFAULT_KZG_PRECOMPUTE): KZG {
  if (kzg) return kzg;
  try {
    const lib = createRequire(import.meta.url)("c-kzg") as KZG;
    lib.loadTrustedSetup(precompute);
    kzg = lib;
    return lib;
  } catch (e) {
    throw new DaError(
      { code: DaErrorCode.TRUSTED_SETUP, detail: (e as Error).message },
      `cannot load the KZG trusted setup (c-kzg): ${(e as Error).message}; reinstall with npm ci so c-kzg is built`,
      { cause: e },
    );
  }
}
