import { SecretKey } from "@chainsafe/blst";
import { DaError, DaErrorCode } from "../errors.js";

/**
 * A DA signer's BLS12-381 key (min-pk: 48-byte G1 public key, 96-byte G2 signatures, Ethereum's POP ciphersuite, as
 * `contracts/da/BLS12381.sol` verifies). Separate from the signer's Ethereum account, which registers it on chain.
 */
export interface DASignerKey {
  secretKey: Uint8Array;
  /** Compressed G1 (48 bytes). */
  publicKey: Uint8Array;
  /** Uncompressed G1 (96 bytes), as the contracts take it. */
  publicKeyUncompressed: Uint8Array;
}

export function daSignerKeyFromSecret(secret: Uint8Array): DASignerKey {
  let sk: SecretKey;
  try {
    sk = SecretKey.fromBytes(secret);
  } catch (e) {
    throw new DaError(
      { code: DaErrorCode.BAD_REQUEST, detail: "bad BLS secret key" },
      `not a BLS12-381 secret key (32 bytes, a scalar in [1, r)): ${(e as Error).message}`,
    );
  }
  const pk = sk.toPublicKey();
  return { secretKey: secret, publicKey: pk.toBytes(true), publicKeyUncompressed: pk.toBytes(false) };
}

/** A deterministic key from any seed of at least 32 bytes (devnets, tests): EIP-2333 key generation. */
export function daSignerKeyFromSeed(seed: Uint8Array): DASignerKey {
  return daSignerKeyFromSecret(SecretKey.fromKeygen(seed).toBytes());
}

/** The signature of `message`: compressed (96 bytes), or uncompressed (192, as the contracts take it). */
export function signWithDASignerKey(key: DASignerKey, message: Uint8Array, compressed = true): Uint8Array {
  return SecretKey.fromBytes(key.secretKey).sign(message).toBytes(compressed);
}
