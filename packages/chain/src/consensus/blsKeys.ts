import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import { bytesToHex, concatBytes, equalsBytes, hexToBytes, isHex, keccak256, utf8ToBytes } from "@zerog/core";
import { ConsensusError, ConsensusErrorCode } from "./errors.js";
import { writeFileDurableSync } from "./wal.js";

/**
 * Validator consensus keys: BLS12-381 "min-pk" (48-byte G1 public keys, 96-byte G2 signatures) with
 * the Ethereum proof-of-possession ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`, as the
 * beacon chain and 0G's chain use. Keys are plain bytes so they serialise; blst objects are made at use.
 */

export const SECRET_KEY_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 48;
export const SIGNATURE_LENGTH = 96;
export const ADDRESS_LENGTH = 20;

/**
 * blst exposes only the POP ciphersuite's signing DST, so the proof of possession is kept apart from
 * votes and proposals by its message prefix (every signed message in `signing.ts` has its own).
 */
const POP_DOMAIN = utf8ToBytes("zerog/consensus/pop/v1:");

export interface ValidatorKey {
  /** Last 20 bytes of keccak256(publicKey). */
  address: Uint8Array;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function generateValidatorKey(): ValidatorKey {
  return keyFromBLST(SecretKey.fromKeygen(randomBytes(32)));
}

/** The key of a 32-byte big-endian scalar in [1, r); anything else is `CONSENSUS_BAD_KEY`. */
export function validatorKeyFromSecret(secret: Uint8Array): ValidatorKey {
  return keyFromBLST(parseSecretKey(secret));
}

export function validatorAddress(publicKey: Uint8Array): Uint8Array {
  return keccak256(publicKey).slice(32 - ADDRESS_LENGTH);
}

/** A signature under the validator's key, over `message` as is (callers add their domain). */
export function blsSign(key: ValidatorKey, message: Uint8Array): Uint8Array {
  return parseSecretKey(key.secretKey).sign(message).toBytes();
}

/** False for a malformed, infinity or out-of-group key or signature, never a throw. */
export function blsVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const pk = toBLSPublicKey(publicKey);
  const sig = toBLSSignature(signature);
  return pk !== null && sig !== null && verify(message, pk, sig);
}

/** True for a 48-byte compressed G1 point that is on the curve, in the subgroup and not infinity. */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  return toBLSPublicKey(publicKey) !== null;
}

/** The key's signature over its own public key, proving it knows the secret (stops rogue-key aggregation). */
export function signProofOfPossession(key: ValidatorKey): Uint8Array {
  return blsSign(key, concatBytes(POP_DOMAIN, key.publicKey));
}

/** Must hold for every key before it joins a validator set: commits use `fastAggregateVerify`. */
export function verifyProofOfPossession(publicKey: Uint8Array, proof: Uint8Array): boolean {
  return blsVerify(publicKey, concatBytes(POP_DOMAIN, publicKey), proof);
}

/** blst public key, validated; null when invalid. Cached: commits parse the same keys every height. */
export function toBLSPublicKey(publicKey: Uint8Array): PublicKey | null {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return null;
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString("latin1");
  const cached = publicKeyCache.get(id);
  if (cached !== undefined) return cached;
  let pk: PublicKey;
  try {
    pk = PublicKey.fromBytes(publicKey, true);
  } catch {
    return null;
  }
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_SIZE) publicKeyCache.clear();
  publicKeyCache.set(id, pk);
  return pk;
}

/** blst signature, group- and infinity-checked; null when invalid. */
export function toBLSSignature(signature: Uint8Array): Signature | null {
  if (signature.length !== SIGNATURE_LENGTH) return null;
  try {
    return Signature.fromBytes(signature, true);
  } catch {
    return null;
  }
}

// Validating a key costs ~0.07 ms, so a 100-validator commit would spend 7 ms just parsing keys.
const PUBLIC_KEY_CACHE_SIZE = 16_384;
const publicKeyCache = new Map<string, PublicKey>();

function parseSecretKey(secret: Uint8Array): SecretKey {
  if (secret.length !== SECRET_KEY_LENGTH) {
    throw new ConsensusError({ code: ConsensusErrorCode.BAD_KEY, reason: `secret key must be 32 bytes, got ${secret.length}` });
  }
  try {
    return SecretKey.fromBytes(secret);
  } catch {
    throw new ConsensusError({ code: ConsensusErrorCode.BAD_KEY, reason: "secret key is zero or not below the group order" });
  }
}

function keyFromBLST(sk: SecretKey): ValidatorKey {
  const publicKey = sk.toPublicKey().toBytes(true);
  return { address: validatorAddress(publicKey), publicKey, secretKey: sk.toBytes() };
}

// ---- key file: JSON {address, publicKey, secretKey} as 0x-hex, mode 0600 ----

export function writeValidatorKeyFile(path: string, key: ValidatorKey, opts: { overwrite?: boolean } = {}): void {
  if (!opts.overwrite && existsSync(path)) {
    throw new ConsensusError({ code: ConsensusErrorCode.KEY_FILE, path, reason: "already exists; refusing to overwrite a validator key" });
  }
  const json = {
    address: bytesToHex(key.address),
    publicKey: bytesToHex(key.publicKey),
    secretKey: bytesToHex(key.secretKey),
  };
  writeFileDurableSync(path, utf8ToBytes(`${JSON.stringify(json, null, 2)}\n`), 0o600);
}

/** Reads and checks a key file: the public key and address must be the ones the secret derives. */
export function readValidatorKeyFile(path: string): ValidatorKey {
  const fail: (reason: string) => never = (reason) => {
    throw new ConsensusError({ code: ConsensusErrorCode.KEY_FILE, path, reason }, `validator key file ${path}: ${reason}`);
  };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === "ENOENT" ? "missing (create one with `zg keys`)" : `unreadable (${code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail("corrupt: not JSON");
  }
  const field = (name: "address" | "publicKey" | "secretKey", length: number): Uint8Array => {
    const v = (json as Record<string, unknown> | null)?.[name];
    if (!isHex(v) || v.length !== 2 + 2 * length) return fail(`corrupt: ${name} must be 0x-hex of ${length} bytes`);
    return hexToBytes(v);
  };
  const address = field("address", ADDRESS_LENGTH);
  const publicKey = field("publicKey", PUBLIC_KEY_LENGTH);
  const secretKey = field("secretKey", SECRET_KEY_LENGTH);
  let key: ValidatorKey;
  try {
    key = validatorKeyFromSecret(secretKey);
  } catch {
    return fail("corrupt: secretKey is not a valid BLS12-381 scalar");
  }
  if (!equalsBytes(key.publicKey, publicKey)) fail("corrupt: publicKey does not match secretKey");
  if (!equalsBytes(key.address, address)) fail("corrupt: address does not match publicKey");
  return key;
}
