import { createHash } from "node:crypto";
import { createKeccak } from "hash-wasm";

// One reused WASM hasher: ~1.3M hashes/s on 64-byte inputs, 5-8x faster than the alternatives
// (shared/PERFORMANCE.md). JavaScript is single-threaded, so init/update/digest cannot interleave.
const keccakHasher = await createKeccak(256);

export function keccak256(data: Uint8Array): Uint8Array {
  keccakHasher.init();
  keccakHasher.update(data);
  return keccakHasher.digest("binary");
}

/** keccak256 over several parts without concatenating them first. */
export function keccak256Parts(parts: readonly Uint8Array[]): Uint8Array {
  keccakHasher.init();
  for (const p of parts) keccakHasher.update(p);
  return keccakHasher.digest("binary");
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** keccak256 of the empty string. */
export const KECCAK256_EMPTY = keccak256(new Uint8Array(0));
/** keccak256(rlp("")): the root of an empty Merkle-Patricia trie. */
export const KECCAK256_RLP_EMPTY = keccak256(Uint8Array.of(0x80));
