import { randomBytes } from "node:crypto";
import secp from "secp256k1";
import { bytesToHex, type Hex } from "./bytes.js";
import { CoreError, CoreErrorCode } from "./errors.js";
import { keccak256 } from "./hash.js";

// Native libsecp256k1 (N-API): ~16k recoveries/s/core, 23x @noble/curves (shared/PERFORMANCE.md).

export interface RecoverableSignature {
  /** r ‖ s, 64 bytes. */
  signature: Uint8Array;
  /** 0 or 1. */
  recovery: number;
}

export function generatePrivateKey(): Uint8Array {
  for (;;) {
    const k = new Uint8Array(randomBytes(32));
    if (secp.privateKeyVerify(k)) return k;
  }
}

export function isValidPrivateKey(key: Uint8Array): boolean {
  return key.length === 32 && secp.privateKeyVerify(key);
}

/** Signs a 32-byte digest; low-s, deterministic (RFC 6979). */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): RecoverableSignature {
  if (!isValidPrivateKey(privateKey)) throw new CoreError({ code: CoreErrorCode.INVALID_PRIVATE_KEY }, "invalid private key");
  const { signature, recid } = secp.ecdsaSign(digest, privateKey);
  return { signature, recovery: recid };
}

/**
 * Recovers the 64-byte uncompressed public key (no 0x04 prefix) from a 32-byte digest and a 64-byte r ‖ s, or
 * returns null when the signature does not recover. Throws only on arguments of the wrong size.
 */
export type Secp256k1Recover = (digest: Uint8Array, signature: Uint8Array, recovery: number) => Uint8Array | null;

/** The npm `secp256k1` package (libsecp256k1 as of 2019): the default. */
export const npmRecover: Secp256k1Recover = (digest, signature, recovery) => {
  try {
    return secp.ecdsaRecover(signature, recovery, digest, false).subarray(1);
  } catch {
    return null;
  }
};

/** items: n × (digest 32 ‖ r 32 ‖ s 32 ‖ recovery 1) → out: n × (ok 1 ‖ public key 64), zeroed when not ok. */
export type Secp256k1RecoverBatch = (items: Uint8Array, out: Uint8Array) => void;

let recoverImpl: Secp256k1Recover = npmRecover;
let recoverBatchImpl: Secp256k1RecoverBatch | null = null;

/**
 * Replaces the recovery implementation (core's native entry installs the system-libsecp256k1 addon), optionally
 * with a batch form that `recoverAddressBatch` uses.
 */
export function setSecp256k1Recover(impl: Secp256k1Recover, batch: Secp256k1RecoverBatch | null = null): void {
  recoverImpl = impl;
  recoverBatchImpl = batch;
}

/** Bytes per `recoverAddressBatch` item: digest 32 ‖ r 32 ‖ s 32 ‖ recovery id 1. */
export const RECOVER_ITEM_BYTES = 97;

/**
 * Recovers the signer addresses of n items (`RECOVER_ITEM_BYTES` each) into n × 21 bytes: 1 ‖ address, or 21 zero
 * bytes for a signature that does not recover. One native call for the whole batch when the addon is installed.
 */
export function recoverAddressBatch(items: Uint8Array): Uint8Array<ArrayBuffer> {
  if (items.length % RECOVER_ITEM_BYTES !== 0) {
    throw new CoreError({ code: CoreErrorCode.INVALID_SIGNATURE }, `recovery items must be ${RECOVER_ITEM_BYTES} bytes each`);
  }
  const n = items.length / RECOVER_ITEM_BYTES;
  const out = new Uint8Array(n * 21);
  if (recoverBatchImpl !== null) {
    const keys = new Uint8Array(n * 65);
    recoverBatchImpl(items, keys);
    for (let i = 0; i < n; i++) {
      if (keys[i * 65] !== 1) continue;
      out[i * 21] = 1;
      out.set(publicKeyToAddressBytes(keys.subarray(i * 65 + 1, i * 65 + 65)), i * 21 + 1);
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const o = i * RECOVER_ITEM_BYTES;
    const key = recoverImpl(items.subarray(o, o + 32), items.subarray(o + 32, o + 96), items[o + 96]!);
    if (key === null) continue;
    out[i * 21] = 1;
    out.set(publicKeyToAddressBytes(key), i * 21 + 1);
  }
  return out;
}

/** Recovers the 64-byte uncompressed public key (without the 0x04 prefix). */
export function recoverPublicKey(digest: Uint8Array, signature: Uint8Array, recovery: number): Uint8Array {
  const key = digest.length === 32 && signature.length === 64 ? recoverImpl(digest, signature, recovery) : null;
  if (key === null) throw new CoreError({ code: CoreErrorCode.INVALID_SIGNATURE }, "signature does not recover to a public key");
  return key;
}

/** 64-byte public key (no prefix) from a private key. */
export function privateKeyToPublicKey(privateKey: Uint8Array): Uint8Array {
  if (!isValidPrivateKey(privateKey)) throw new CoreError({ code: CoreErrorCode.INVALID_PRIVATE_KEY }, "invalid private key");
  return secp.publicKeyCreate(privateKey, false).subarray(1);
}

/** The 20-byte address of a 64-byte public key: the last 20 bytes of its keccak256. */
export function publicKeyToAddressBytes(publicKey: Uint8Array): Uint8Array {
  return keccak256(publicKey).subarray(12);
}

export function privateKeyToAddressBytes(privateKey: Uint8Array): Uint8Array {
  return publicKeyToAddressBytes(privateKeyToPublicKey(privateKey));
}

export function recoverAddressBytes(digest: Uint8Array, signature: Uint8Array, recovery: number): Uint8Array {
  return publicKeyToAddressBytes(recoverPublicKey(digest, signature, recovery));
}

/** The secp256k1 group order; signatures with s above half of it are malleable (EIP-2). */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_N_DIV_2 = SECP256K1_N / 2n;

export function privateKeyToHex(privateKey: Uint8Array): Hex {
  return bytesToHex(privateKey);
}
