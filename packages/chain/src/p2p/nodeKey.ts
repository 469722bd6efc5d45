import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { P2PError, P2PErrorCode } from "./errors.js";

/**
 * The node key is the Noise static key itself: an X25519 secret whose public key is the node id
 * (64 hex digits). The XX handshake proves possession of both sides' static keys, so no second
 * signing key (and no sign/verify per handshake) is needed; see README.md, "Identity".
 */
export const NODE_KEY_LENGTH = 32;

// node:crypto takes raw X25519 keys only wrapped: DER for the node key (once), JWK for public keys,
// whose import and export are ~10x cheaper than DER's (~8 vs ~85 µs here) and happen per handshake.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export interface X25519KeyPair {
  privateKey: KeyObject;
  /** Raw 32-byte public key. */
  publicKey: Buffer;
}

/** A fresh random node key (32 bytes; X25519 clamps any 32 bytes into a valid secret). */
export function generateNodeKey(): Uint8Array {
  return new Uint8Array(randomBytes(NODE_KEY_LENGTH));
}

export function keyPairFromSecret(secret: Uint8Array): X25519KeyPair {
  if (secret.length !== NODE_KEY_LENGTH) throw new P2PError({ code: P2PErrorCode.INVALID_NODE_KEY, length: secret.length });
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: "der", type: "pkcs8" });
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
}

export function generateKeyPair(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  return { privateKey, publicKey: rawPublicKey(publicKey) };
}

/** The node id (hex of the X25519 public key) of a node key. */
export function nodeIdFromKey(nodeKey: Uint8Array): string {
  return keyPairFromSecret(nodeKey).publicKey.toString("hex");
}

/** A raw 32-byte X25519 public key as a KeyObject (for `dh`). */
export function publicKeyObject(raw: Uint8Array): KeyObject {
  try {
    const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64url");
    return createPublicKey({ key: { kty: "OKP", crv: "X25519", x }, format: "jwk" });
  } catch (e) {
    throw new P2PError({ code: P2PErrorCode.HANDSHAKE_FAILED, reason: "invalid X25519 public key" }, undefined, { cause: e });
  }
}

/** X25519(secret, public); refuses low-order public keys (an all-zero shared secret). */
export function dh(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let out: Buffer;
  try {
    out = diffieHellman({ privateKey, publicKey });
  } catch (e) {
    throw new P2PError({ code: P2PErrorCode.HANDSHAKE_FAILED, reason: "X25519 failed" }, undefined, { cause: e });
  }
  if (out.every((b) => b === 0)) throw new P2PError({ code: P2PErrorCode.HANDSHAKE_FAILED, reason: "low-order X25519 public key" });
  return out;
}

function rawPublicKey(key: KeyObject): Buffer {
  const { x } = key.export({ format: "jwk" });
  return Buffer.from(x ?? "", "base64url");
}
