import { createKeccak } from "hash-wasm";
import { CHUNK_SIZE } from "./constants.js";
import { badInput } from "./merkleError.js";

// One reused WASM hasher (hash-wasm, browser-safe). JavaScript is single-threaded and nothing here
// awaits between init and digest, so calls cannot interleave.
const hasher = await createKeccak(256);
const chunkScratch = new Uint8Array(CHUNK_SIZE);

export function keccak256(data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}

/** Writes keccak256(data) into `out` at `offset` (hot loops: no result array kept). */
export function keccak256Into(data: Uint8Array, out: Uint8Array, offset: number): void {
  hasher.init();
  hasher.update(data);
  out.set(hasher.digest("binary"), offset);
}

/** keccak256 of a 256-byte chunk; a shorter chunk (the file's last) is zero-padded to 256 bytes. */
export function hashChunk(chunk: Uint8Array): Uint8Array {
  if (chunk.length === CHUNK_SIZE) return keccak256(chunk);
  if (chunk.length > CHUNK_SIZE) throw badInput(`a chunk holds at most ${CHUNK_SIZE} bytes, got ${chunk.length}`);
  chunkScratch.fill(0);
  chunkScratch.set(chunk);
  return keccak256(chunkScratch);
}

/** Inner node: keccak256(left ‖ right), without concatenating. */
export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(left);
  hasher.update(right);
  return hasher.digest("binary");
}
