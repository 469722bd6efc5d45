// Node-only: loads the optional native keccak addon (build/Release/zg_keccak.node, built at install by
// scripts/buildNative.mjs) and installs it as the Merkle backend. Without the addon everything falls back to hash-wasm.
import { createRequire } from "node:module";
import { equalBytes } from "../merkle/hex.js";
import { keccak256 } from "../merkle/keccak.js";
import { type MerkleBackend, setMerkleBackend, wasmMerkleBackend } from "../merkle/merkleBackend.js";
import { checkSegmentData, segmentRoot } from "../merkle/segmentRoot.js";

/** The addon's functions. Arguments are checked in C: a wrong type throws TypeError, a wrong size RangeError. */
export interface NativeMerkle {
  /** Root of the 256-byte chunks of `data` padded with ZERO[0] leaves up to `paddedChunks` (1 ≤ paddedChunks ≤ 2^22). */
  segmentRoot(data: Uint8Array, paddedChunks: number): Uint8Array;
  /** As `segmentRoot`, on the libuv threadpool; `data` is copied before returning, so the caller may reuse it. */
  segmentRootAsync(data: Uint8Array, paddedChunks: number): Promise<Uint8Array>;
  /** N × 256 bytes → N × 32 bytes. */
  hashChunks(src: Uint8Array, dst: Uint8Array): void;
  /** N × 64 bytes → N × 32 bytes (one tree level; `dst` may be the first half of `src`). */
  hashPairs(src: Uint8Array, dst: Uint8Array): void;
  /** Promotion-tree root of N ≥ 1 packed 32-byte leaves (odd last node promoted); `leaves` is not modified. */
  promotionRoot(leaves: Uint8Array): Uint8Array;
  keccak256(data: Uint8Array): Uint8Array;
  /** The bulk implementation in use: "avx512" (4-way, AVX-512VL rotates), "avx2" (4-way) or "scalar"; the best the
   *  CPU supports is picked at load, ZG_KECCAK_IMPL=name forces one. */
  implementation(): string;
  /** Switches the bulk implementation (tests, benchmarks); RangeError when unknown or unsupported by this CPU. */
  useImplementation(name: string): void;
}

function loadAddon(): NativeMerkle | null {
  if (process.env.ZG_NATIVE_KECCAK === "0") return null;
  try {
    // Same relative path from src/native/ (tests, "source" condition) and dist/native/ (built).
    return createRequire(import.meta.url)("../../build/Release/zg_keccak.node") as NativeMerkle;
  } catch {
    return null;
  }
}

/** The raw addon, or null when it was not built (no compiler at install) or ZG_NATIVE_KECCAK=0. */
export const nativeMerkle: NativeMerkle | null = loadAddon();

/** The addon as a Merkle backend (null without the addon). */
export const nativeMerkleBackend: MerkleBackend | null =
  nativeMerkle === null
    ? null
    : Object.freeze({
        name: "native",
        hashChunks: nativeMerkle.hashChunks,
        hashPairs: nativeMerkle.hashPairs,
        promotionRoot: nativeMerkle.promotionRoot,
        segmentRoot: nativeMerkle.segmentRoot,
      });

/** Compares every addon function with the hash-wasm path on a fixed vector (odd counts, padding, multi-block input). */
function selfCheck(native: NativeMerkle): boolean {
  try {
    const wasm = wasmMerkleBackend;
    const data = new Uint8Array(37 * 256);
    for (let i = 0; i < data.length; i++) data[i] = (i * 167 + (i >>> 8)) & 0xff;
    const leaves = [new Uint8Array(37 * 32), new Uint8Array(37 * 32)] as const;
    wasm.hashChunks(data, leaves[0]);
    native.hashChunks(data, leaves[1]);
    const pairs = [new Uint8Array(18 * 32), new Uint8Array(18 * 32)] as const;
    wasm.hashPairs(leaves[0].subarray(0, 36 * 32), pairs[0]);
    native.hashPairs(leaves[0].subarray(0, 36 * 32), pairs[1]);
    const empty = new Uint8Array(0);
    return (
      equalBytes(leaves[0], leaves[1]) &&
      equalBytes(pairs[0], pairs[1]) &&
      equalBytes(wasm.promotionRoot(leaves[0]), native.promotionRoot(leaves[0])) &&
      equalBytes(wasm.segmentRoot(data, 50), native.segmentRoot(data, 50)) &&
      equalBytes(wasm.segmentRoot(empty, 3), native.segmentRoot(empty, 3)) &&
      equalBytes(keccak256(data.subarray(0, 1000)), native.keccak256(data.subarray(0, 1000)))
    );
  } catch {
    return false;
  }
}

let checked: boolean | null = null;

/**
 * Installs the native backend for all Merkle hashing (segmentRoot, FileHasher, FileMerkleTree, promotionRoot) when
 * the addon loaded and agrees with hash-wasm on a known vector. Returns whether the native backend is installed.
 */
export function installNativeMerkleBackend(): boolean {
  if (nativeMerkle === null || nativeMerkleBackend === null) return false;
  checked ??= selfCheck(nativeMerkle);
  if (checked) setMerkleBackend(nativeMerkleBackend);
  return checked;
}

/**
 * Root of segment `index` of a file of `fileSize` bytes (as `segmentRoot` from `@zerog/core/merkle`), hashed on the
 * libuv threadpool when the addon is present so verification can use every core; otherwise the synchronous path.
 * Bad input rejects with MerkleError (MERKLE_BAD_INPUT).
 */
export async function segmentRootAsync(data: Uint8Array, index: number, fileSize: number): Promise<Uint8Array> {
  const leaves = checkSegmentData(data, index, fileSize);
  if (nativeMerkle === null || checked === false) return segmentRoot(data, index, fileSize);
  return nativeMerkle.segmentRootAsync(data, leaves);
}
