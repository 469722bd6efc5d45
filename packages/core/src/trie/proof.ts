import { CoreError, CoreErrorCode } from "../errors.js";
import { keccak256 } from "../hash.js";
import { MerklePatriciaTrie } from "./mpt.js";

/**
 * Verifies an EIP-1186 style proof: returns the value at `key` under `root` (undefined when the
 * proof shows absence); throws when the proof does not connect to the root.
 */
export function verifyTrieProof(root: Uint8Array, key: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | undefined {
  const nodes = new Map<string, Uint8Array>();
  for (const enc of proof) nodes.set(Buffer.from(keccak256(enc)).toString("hex"), enc);
  if (proof.length > 0 && !nodes.has(Buffer.from(root).toString("hex"))) {
    throw new CoreError({ code: CoreErrorCode.INVALID_PROOF, reason: "root not in proof" }, "proof does not start at the root");
  }
  const trie = new MerklePatriciaTrie({
    root,
    db: { getNode: (h) => nodes.get(Buffer.from(h).toString("hex")) },
  });
  try {
    return trie.get(key);
  } catch (e) {
    throw new CoreError({ code: CoreErrorCode.INVALID_PROOF, reason: "incomplete" }, `proof is incomplete: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
