import { hash32FromHex, isHash32, toHex } from "./hex.js";
import { badInput } from "./merkleError.js";

/**
 * A segment's proof in a file tree (§1.4): lemma = [leaf, siblings bottom-up…, root] and path[i] = true when the
 * node at level i is the left child. One leaf: lemma = [root], path = []. Promoted levels contribute no entry.
 */
export interface FileProof {
  lemma: Uint8Array[];
  path: boolean[];
}

/** The wire form used by the storage node's RPC and 0G's SDKs. */
export interface FileProofJSON {
  lemma: `0x${string}`[];
  path: boolean[];
}

export function fileProofToJSON(p: FileProof): FileProofJSON {
  return { lemma: p.lemma.map(toHex), path: [...p.path] };
}

/** Parses and shape-checks a proof from JSON; throws MerkleError (MERKLE_BAD_INPUT) on anything malformed. */
export function fileProofFromJSON(j: unknown): FileProof {
  if (typeof j !== "object" || j === null) throw badInput("a proof is an object {lemma, path}");
  const { lemma, path } = j as { lemma?: unknown; path?: unknown };
  if (!Array.isArray(lemma) || !Array.isArray(path)) throw badInput("a proof needs arrays `lemma` and `path`");
  const out: FileProof = { lemma: [], path: [] };
  for (const [i, h] of lemma.entries()) {
    const bytes = hash32FromHex(h);
    if (bytes === null) throw badInput(`proof lemma[${i}] is not a 0x-prefixed 32-byte hex string`);
    out.lemma.push(bytes);
  }
  for (const [i, b] of path.entries()) {
    if (typeof b !== "boolean") throw badInput(`proof path[${i}] is not a boolean`);
    out.path.push(b);
  }
  checkProofShape(out);
  return out;
}

/** lemma.length = path.length + 2, or a single-leaf proof [root] with an empty path. */
export function checkProofShape(p: FileProof): void {
  if (!Array.isArray(p.lemma) || !Array.isArray(p.path)) throw badInput("a proof needs arrays `lemma` and `path`");
  for (const [i, h] of p.lemma.entries()) if (!isHash32(h)) throw badInput(`proof lemma[${i}] is not a 32-byte hash`);
  for (const [i, b] of p.path.entries()) if (typeof b !== "boolean") throw badInput(`proof path[${i}] is not a boolean`);
  const expected = p.path.length === 0 ? 1 : p.path.length + 2;
  if (p.lemma.length !== expected) {
    throw badInput(`a proof with ${p.path.length} path entries has ${expected} lemma entries, got ${p.lemma.length}`);
  }
}
