// Node-only: loads the optional native addons built at install by scripts/buildNative.mjs and installs each after
// checking it against the portable path: keccak (build/Release/zg_keccak.node) as the Merkle backend, and secp256k1
// recovery over the system libsecp256k1 (native/secp256k1/build/Release/zg_secp256k1.node). Without an addon
// everything falls back to hash-wasm or the npm secp256k1 package.
import { createRequire } from "node:module";
import { bigIntToPaddedBytes, bytesToBigInt } from "../bytes.js";
import { equalBytes } from "../merkle/hex.js";
import { keccak256 } from "../merkle/keccak.js";
import { type MerkleBackend, setMerkleBackend, wasmMerkleBackend } from "../merkle/merkleBackend.js";
import { checkSegmentData, segmentRoot } from "../merkle/segmentRoot.js";
import { npmRecover, RECOVER_ITEM_BYTES, SECP256K1_N, type Secp256k1Recover, setSecp256k1Recover, signDigest } from "../secp256k1.js";

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

/**
 * An addon built at install, by its path relative to this module (the same from src/native/, under vitest's "source"
 * condition, and from dist/native/), or null when it was not built or `disableEnv` is "0".
 */
function loadAddon<T>(path: string, disableEnv: string): T | null {
  if (process.env[disableEnv] === "0") return null;
  try {
    return createRequire(import.meta.url)(path) as T;
  } catch {
    return null;
  }
}

/** The raw addon, or null when it was not built (no compiler at install) or ZG_NATIVE_KECCAK=0. */
export const nativeMerkle: NativeMerkle | null = loadAddon("../../build/Release/zg_keccak.node", "ZG_NATIVE_KECCAK");

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

/** The secp256k1 addon's functions (native/secp256k1/recover.c). Wrong argument types throw TypeError, sizes RangeError. */
export interface NativeSecp256k1 {
  /** The 64-byte uncompressed public key (no 0x04 prefix), or null when the signature does not recover. */
  recover: Secp256k1Recover;
  /** items: n × (digest 32 ‖ r 32 ‖ s 32 ‖ recovery 1); out: n × (ok 1 ‖ public key 64), zeroed when not ok. */
  recoverBatch(items: Uint8Array, out: Uint8Array): void;
}

/** The raw secp256k1 addon, or null when it was not built (no libsecp256k1 headers) or ZG_NATIVE_SECP256K1=0. */
// Also null when libsecp256k1 was absent at install or has been removed since.
export const nativeSecp256k1: NativeSecp256k1 | null = loadAddon(
  "../../native/secp256k1/build/Release/zg_secp256k1.node",
  "ZG_NATIVE_SECP256K1",
);

const sameKey = (a: Uint8Array | null, b: Uint8Array | null) => (a === null || b === null ? a === b : equalBytes(a, b));

/**
 * The addon against the npm package on fixed vectors: valid signatures of both recovery ids, the other recovery id,
 * the high-s twin, r = 0, r = n (out of range), recovery ids 2 (r + n out of range) and 4 (invalid), and the batch
 * call with a failing item between good ones.
 */
export function secp256k1SelfCheck(native: NativeSecp256k1): boolean {
  try {
    const key = new Uint8Array(32).fill(7);
    const cases: [Uint8Array, Uint8Array, number][] = [];
    for (let i = 0; i < 4; i++) {
      const digest = new Uint8Array(32).fill(i + 1);
      const { signature, recovery } = signDigest(digest, key);
      const s = bytesToBigInt(signature.subarray(32));
      const highS = new Uint8Array(64);
      highS.set(signature.subarray(0, 32));
      highS.set(bigIntToPaddedBytes(SECP256K1_N - s, 32), 32);
      const zeroR = signature.slice();
      zeroR.fill(0, 0, 32);
      const bigR = signature.slice();
      bigR.set(bigIntToPaddedBytes(SECP256K1_N, 32), 0);
      cases.push(
        [digest, signature, recovery],
        [digest, signature, recovery ^ 1],
        [digest, highS, recovery ^ 1],
        [digest, zeroR, recovery],
        [digest, bigR, recovery],
        [digest, signature, 2],
        [digest, signature, 4],
      );
    }
    const items = new Uint8Array(cases.length * RECOVER_ITEM_BYTES);
    const out = new Uint8Array(cases.length * 65);
    let recovered = 0;
    for (const [i, [digest, signature, recovery]] of cases.entries()) {
      const expected = npmRecover(digest, signature, recovery);
      if (expected !== null) recovered++;
      if (!sameKey(native.recover(digest, signature, recovery), expected)) return false;
      const o = i * RECOVER_ITEM_BYTES;
      items.set(digest, o);
      items.set(signature, o + 32);
      items[o + 96] = recovery;
    }
    native.recoverBatch(items, out);
    for (const [i, [digest, signature, recovery]] of cases.entries()) {
      const got = out[i * 65] === 1 ? out.subarray(i * 65 + 1, i * 65 + 65) : null;
      if (!sameKey(got, npmRecover(digest, signature, recovery))) return false;
    }
    // The vectors must exercise both outcomes, or the comparison above proves nothing.
    return recovered >= 8 && recovered < cases.length;
  } catch {
    return false;
  }
}

let secpChecked: boolean | null = null;

/**
 * Makes `recoverPublicKey` (and so every sender recovery) use the system-libsecp256k1 addon when it loaded and
 * agrees with the npm package on the self-check vectors. Returns whether it is installed.
 */
export function installNativeSecp256k1(): boolean {
  if (nativeSecp256k1 === null) return false;
  secpChecked ??= secp256k1SelfCheck(nativeSecp256k1);
  if (secpChecked) setSecp256k1Recover(nativeSecp256k1.recover, nativeSecp256k1.recoverBatch);
  return secpChecked;
}
