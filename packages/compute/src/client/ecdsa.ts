import {
  bytesToHex,
  concatBytes,
  type Hex,
  keccak256,
  privateKeyToAddressBytes,
  recoverAddressBytes,
  SECP256K1_N_DIV_2,
  signDigest,
  toChecksumAddress,
  utf8ToBytes,
} from "@zerog/core";
import { ComputeError, ComputeErrorCode } from "../errors.js";

// The one place the compute codecs take their secp256k1 and keccak from (core's native libsecp256k1, ~20k signs/s):
// a browser build swaps this file for one over @noble/curves.

/** Something that signs EIP-191 messages: an ethers `Wallet`, or a viem account wrapped as
 *  `{address: a.address, signMessage: (m) => a.signMessage({message: {raw: m}})}`. */
export interface MessageSigner {
  readonly address: string;
  signMessage(message: Uint8Array): Promise<string>;
}

/** keccak256("\x19Ethereum Signed Message:\n" + len + message): what `personal_sign` signs. */
export function hashPersonalMessage(message: Uint8Array): Uint8Array {
  return keccak256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${message.length}`), message));
}

/** A 65-byte `r ‖ s ‖ v` signature (v = 27 or 28, what `ecrecover` and OpenZeppelin's ECDSA take) of a digest. */
export function signDigest65(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { signature, recovery } = signDigest(digest, privateKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recovery;
  return out;
}

/**
 * The lower-case address that signed `digest`; a `COMPUTE_VERIFICATION_FAILED` error for a signature that is not 65
 * bytes, has v outside {0, 1, 27, 28}, a malleable (high) s, or does not recover.
 */
export function recoverDigestSigner(digest: Uint8Array, signature: Uint8Array): Hex {
  if (signature.length !== 65) throw badSignature(`a signature is 65 bytes, not ${signature.length}`);
  const v = signature[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw badSignature(`signature v ${v} is not 27 or 28`);
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(signature[i]!);
  if (s > SECP256K1_N_DIV_2) throw badSignature("signature s is in the upper half of the curve order (malleable)");
  try {
    return bytesToHex(recoverAddressBytes(digest, signature.subarray(0, 64), recovery));
  } catch {
    throw badSignature("the signature does not recover to a public key");
  }
}

/** `0x` + 130 hex digits → 65 bytes; a `COMPUTE_VERIFICATION_FAILED` error otherwise. */
export function signatureFromHex(signature: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw badSignature("a signature is 0x followed by 130 hex digits");
  const out = new Uint8Array(65);
  for (let i = 0; i < 65; i++) out[i] = Number.parseInt(signature.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

/** The EIP-55 address of a private key. */
export function addressOfKey(privateKey: Uint8Array): Hex {
  return toChecksumAddress(privateKeyToAddressBytes(privateKey));
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function badSignature(detail: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.VERIFICATION_FAILED, detail }, detail);
}
