import { bytesToHex, concatBytes, type Hex, keccak256, sha256, utf8ToBytes } from "@zerog/core";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import { hashPersonalMessage, recoverDigestSigner, sameAddress, signatureFromHex, signDigest65 } from "./ecdsa.js";
import {
  EIP712_DOMAIN_TYPEHASH,
  INFERENCE_RECEIPT_TYPEHASH,
  type InferenceEip712Domain,
  TEE_SETTLEMENT_TYPEHASH,
} from "./inferenceTypedData.js";

// ---- 0G's chat signature (reference compute.md §3.4, §10 b) ---------------------------------------------------------

/** `sha256hex(request) + ":" + sha256hex(response)`, lower-case hex without 0x, over the exact bytes. */
export function chatSignatureText(requestBytes: Uint8Array, responseBytes: Uint8Array): string {
  return chatSignatureTextOfHashes(sha256(requestBytes), sha256(responseBytes));
}

export function chatSignatureTextOfHashes(requestHash: Uint8Array, responseHash: Uint8Array): string {
  return `${bytesToHex(requestHash).slice(2)}:${bytesToHex(responseHash).slice(2)}`;
}

/** EIP-191 (`personal_sign`) signature of the text, as 0x + 130 hex digits (v = 27/28). */
export function signChatText(text: string, privateKey: Uint8Array): Hex {
  return bytesToHex(signDigest65(hashPersonalMessage(utf8ToBytes(text)), privateKey));
}

/** The lower-case address that signed `text`; a `COMPUTE_VERIFICATION_FAILED` error for a bad signature. */
export function recoverChatTextSigner(text: string, signature: string | Uint8Array): Hex {
  const sig = typeof signature === "string" ? signatureFromHex(signature) : signature;
  return recoverDigestSigner(hashPersonalMessage(utf8ToBytes(text)), sig);
}

/**
 * A strict check of an answer (stricter than 0G's SDK, which does not recompute the hashes): the text is recomputed
 * from the bytes sent and received, must equal the served text, and its signature must recover to `signingAddress`.
 */
export function verifyChatSignature(p: {
  requestBytes: Uint8Array;
  responseBytes: Uint8Array;
  text: string;
  signature: string;
  signingAddress: string;
}): boolean {
  if (chatSignatureText(p.requestBytes, p.responseBytes) !== p.text) return false;
  try {
    return sameAddress(recoverChatTextSigner(p.text, p.signature), p.signingAddress);
  } catch {
    return false;
  }
}

// ---- EIP-712: InferenceReceipt (zerog) and TEESettlement (0G) --------------------------------------------------------

export interface InferenceReceipt {
  user: Hex;
  provider: Hex;
  /** sha256 of the exact request body. */
  requestHash: Uint8Array;
  /** sha256 of the exact response body. */
  responseHash: Uint8Array;
  inputTokens: bigint;
  outputTokens: bigint;
  fee: bigint;
  /** Unix seconds. */
  createdAt: bigint;
}

/** JSON form (served by `/v1/proxy/signature/:chatId`): hashes as 0x hex, uint256 as decimal strings. */
export interface InferenceReceiptJSON {
  user: Hex;
  provider: Hex;
  requestHash: Hex;
  responseHash: Hex;
  inputTokens: string;
  outputTokens: string;
  fee: string;
  createdAt: string;
}

export interface TEESettlement {
  requestsHash: Uint8Array;
  nonce: bigint;
  provider: Hex;
  user: Hex;
  totalFee: bigint;
}

const domainSeparators = new Map<string, Uint8Array>();

export function inferenceDomainSeparator(domain: InferenceEip712Domain): Uint8Array {
  const key = `${domain.name}\0${domain.version}\0${domain.chainId}\0${domain.verifyingContract.toLowerCase()}`;
  let sep = domainSeparators.get(key);
  if (!sep) {
    sep = keccak256(
      concatBytes(
        EIP712_DOMAIN_TYPEHASH,
        keccak256(utf8ToBytes(domain.name)),
        keccak256(utf8ToBytes(domain.version)),
        uintWord(BigInt(domain.chainId)),
        addressWord(domain.verifyingContract),
      ),
    );
    domainSeparators.set(key, sep);
  }
  return sep;
}

export function inferenceReceiptDigest(receipt: InferenceReceipt, domain: InferenceEip712Domain): Uint8Array {
  const struct = keccak256(
    concatBytes(
      INFERENCE_RECEIPT_TYPEHASH,
      addressWord(receipt.user),
      addressWord(receipt.provider),
      bytes32Word(receipt.requestHash),
      bytes32Word(receipt.responseHash),
      uintWord(receipt.inputTokens),
      uintWord(receipt.outputTokens),
      uintWord(receipt.fee),
      uintWord(receipt.createdAt),
    ),
  );
  return typedDataDigest(domain, struct);
}

export function teeSettlementDigest(s: TEESettlement, domain: InferenceEip712Domain): Uint8Array {
  const struct = keccak256(
    concatBytes(
      TEE_SETTLEMENT_TYPEHASH,
      bytes32Word(s.requestsHash),
      uintWord(s.nonce),
      addressWord(s.provider),
      addressWord(s.user),
      uintWord(s.totalFee),
    ),
  );
  return typedDataDigest(domain, struct);
}

/** 65-byte signature (v = 27/28) of the receipt's EIP-712 digest: what `dispute` recovers. */
export function signInferenceReceipt(receipt: InferenceReceipt, domain: InferenceEip712Domain, privateKey: Uint8Array): Uint8Array {
  return signDigest65(inferenceReceiptDigest(receipt, domain), privateKey);
}

export function recoverInferenceReceiptSigner(
  receipt: InferenceReceipt,
  domain: InferenceEip712Domain,
  signature: string | Uint8Array,
): Hex {
  const sig = typeof signature === "string" ? signatureFromHex(signature) : signature;
  return recoverDigestSigner(inferenceReceiptDigest(receipt, domain), sig);
}

export function signTeeSettlement(s: TEESettlement, domain: InferenceEip712Domain, privateKey: Uint8Array): Uint8Array {
  return signDigest65(teeSettlementDigest(s, domain), privateKey);
}

export function recoverTeeSettlementSigner(s: TEESettlement, domain: InferenceEip712Domain, signature: string | Uint8Array): Hex {
  const sig = typeof signature === "string" ? signatureFromHex(signature) : signature;
  return recoverDigestSigner(teeSettlementDigest(s, domain), sig);
}

/** A settlement's `requestsHash`: keccak256 over the concatenated EIP-712 digests of the receipts it settles, in order. */
export function requestsHashOf(receiptDigests: readonly Uint8Array[]): Uint8Array {
  return keccak256(concatBytes(...receiptDigests));
}

export function receiptToJSON(r: InferenceReceipt): InferenceReceiptJSON {
  return {
    user: r.user,
    provider: r.provider,
    requestHash: bytesToHex(r.requestHash),
    responseHash: bytesToHex(r.responseHash),
    inputTokens: r.inputTokens.toString(),
    outputTokens: r.outputTokens.toString(),
    fee: r.fee.toString(),
    createdAt: r.createdAt.toString(),
  };
}

export function receiptFromJSON(j: InferenceReceiptJSON): InferenceReceipt {
  const hash = (v: unknown, name: string) => {
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw bad(`receipt ${name} is not 32 bytes of hex`);
    return hexBytes(v);
  };
  const uint = (v: unknown, name: string) => {
    if (typeof v !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(v)) throw bad(`receipt ${name} is not a decimal uint256`);
    return BigInt(v);
  };
  const address = (v: unknown, name: string) => {
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw bad(`receipt ${name} is not an address`);
    return v as Hex;
  };
  return {
    user: address(j.user, "user"),
    provider: address(j.provider, "provider"),
    requestHash: hash(j.requestHash, "requestHash"),
    responseHash: hash(j.responseHash, "responseHash"),
    inputTokens: uint(j.inputTokens, "inputTokens"),
    outputTokens: uint(j.outputTokens, "outputTokens"),
    fee: uint(j.fee, "fee"),
    createdAt: uint(j.createdAt, "createdAt"),
  };
}

// ---- ABI words -------------------------------------------------------------------------------------------------------

const MAX_UINT256 = (1n << 256n) - 1n;

function typedDataDigest(domain: InferenceEip712Domain, structHash: Uint8Array): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(0x19, 0x01), inferenceDomainSeparator(domain), structHash));
}

function uintWord(v: bigint): Uint8Array {
  if (v < 0n || v > MAX_UINT256) throw bad(`${v} is not a uint256`);
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function addressWord(a: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw bad(`${a} is not an address`);
  const out = new Uint8Array(32);
  out.set(hexBytes(a), 12);
  return out;
}

function bytes32Word(b: Uint8Array): Uint8Array {
  if (b.length !== 32) throw bad(`a bytes32 is 32 bytes, not ${b.length}`);
  return b;
}

function hexBytes(h: string): Uint8Array {
  const out = new Uint8Array((h.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

function bad(detail: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.BAD_REQUEST, detail }, detail);
}
