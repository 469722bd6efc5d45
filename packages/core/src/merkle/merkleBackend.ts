import { CHUNK_SIZE } from "./constants.js";
import { keccak256Into } from "./keccak.js";
import { badInput } from "./merkleError.js";
import { ZERO_HASHES } from "./zeroHashes.js";

/**
 * The bulk hashing behind segment roots, the file hasher and the file tree. The default runs hash-wasm (browser-safe);
 * `@zerog/core/native` installs a batch implementation (one native call per segment) with `setMerkleBackend`.
 * Callers validate shapes before calling; a backend may assume them.
 */
export interface MerkleBackend {
  readonly name: string;
  /** keccak256 of each 256-byte chunk of `src` into `dst` (32 bytes per chunk, `dst.length === src.length / 8`). */
  hashChunks(src: Uint8Array, dst: Uint8Array): void;
  /** keccak256 of each 64-byte pair of `src` into `dst` (one tree level; `dst` may be `src`'s first half). */
  hashPairs(src: Uint8Array, dst: Uint8Array): void;
  /** Promotion-tree root (odd last node promoted) of the n ≥ 1 32-byte hashes packed in `leaves`; `leaves` unchanged. */
  promotionRoot(leaves: Uint8Array): Uint8Array;
  /** Root of the chunks of `data` (a multiple of 256 bytes) padded with ZERO[0] leaves up to `paddedChunks` leaves. */
  segmentRoot(data: Uint8Array, paddedChunks: number): Uint8Array;
}

/**
 * Reduces `count` 32-byte hashes packed in `buf` to their promotion-tree root, in place: each level hashes the
 * adjacent pairs (64 contiguous bytes, one hasher update) and writes the parent over the left child; an odd last node
 * is promoted unchanged. Returns a copy of the root; `buf` is scratch afterwards.
 */
export function reduceInPlace(buf: Uint8Array, count: number): Uint8Array {
  if (count < 1) throw badInput("a promotion tree needs at least one leaf");
  let n = count;
  while (n > 1) {
    const pairs = n >>> 1;
    for (let i = 0; i < pairs; i++) keccak256Into(buf.subarray(i * 64, i * 64 + 64), buf, i * 32);
    if (n & 1) buf.copyWithin(pairs * 32, (n - 1) * 32, n * 32);
    n = pairs + (n & 1);
  }
  return buf.slice(0, 32);
}

let scratch = new Uint8Array(1024 * 32);
function scratchOf(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(bytes);
  return scratch.subarray(0, bytes);
}

function wasmHashChunks(src: Uint8Array, dst: Uint8Array): void {
  for (let i = 0, n = src.length / CHUNK_SIZE; i < n; i++) keccak256Into(src.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), dst, i * 32);
}

/** hash-wasm, one call per hash. Synchronous: JavaScript cannot interleave two calls on the shared scratch. */
export const wasmMerkleBackend: MerkleBackend = Object.freeze({
  name: "wasm",
  hashChunks: wasmHashChunks,
  hashPairs(src: Uint8Array, dst: Uint8Array): void {
    for (let i = 0, n = src.length / 64; i < n; i++) keccak256Into(src.subarray(i * 64, i * 64 + 64), dst, i * 32);
  },
  promotionRoot(leaves: Uint8Array): Uint8Array {
    const buf = scratchOf(leaves.length);
    buf.set(leaves);
    return reduceInPlace(buf, leaves.length / 32);
  },
  segmentRoot(data: Uint8Array, paddedChunks: number): Uint8Array {
    const leaves = scratchOf(paddedChunks * 32);
    const dataChunks = data.length / CHUNK_SIZE;
    wasmHashChunks(data, leaves.subarray(0, dataChunks * 32));
    for (let i = dataChunks; i < paddedChunks; i++) leaves.set(ZERO_HASHES[0]!, i * 32);
    return reduceInPlace(leaves, paddedChunks);
  },
});

let current: MerkleBackend = wasmMerkleBackend;

/** Routes segmentRoot, FileHasher, FileMerkleTree and promotionRoot through `backend` (`wasmMerkleBackend` resets). */
export function setMerkleBackend(backend: MerkleBackend): void {
  current = backend;
}

export function getMerkleBackend(): MerkleBackend {
  return current;
}
