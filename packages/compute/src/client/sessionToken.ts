import { bytesToHex, type Hex, keccak256, utf8ToBytes } from "@zerog/core";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import { base64ToBytes, bytesToBase64 } from "./base64.js";
import {
  addressOfKey,
  hashPersonalMessage,
  type MessageSigner,
  recoverDigestSigner,
  sameAddress,
  signatureFromHex,
  signDigest65,
} from "./ecdsa.js";

// 0G's v3 session tokens (reference compute.md §3.2, §3.3, §10 a), byte for byte:
//   Authorization: Bearer app-sk-<base64(JSON.stringify(token) + "|" + signature)>
//   signature = personal_sign(keccak256(utf8(JSON.stringify(token))) as 32 raw bytes)

export const SESSION_TOKEN_PREFIX = "app-sk-";
/** `tokenId` of a short-lived session token (not revocable by bit, at most 24 h); 0–254 are API keys. */
export const EPHEMERAL_TOKEN_ID = 255;
export const MAX_EPHEMERAL_TOKEN_MS = 86_400_000;

/** The signed JSON, in this key order (the broker hashes the exact string). Times are unix milliseconds. */
export interface SessionToken {
  address: string;
  provider: string;
  timestamp: number;
  /** 0 = never (API keys only). */
  expiresAt: number;
  nonce: string;
  generation: number;
  tokenId: number;
}

export interface CreateSessionTokenParameters {
  /** The user's key (32 bytes), or a `signer` (e.g. an ethers Wallet). */
  privateKey?: Uint8Array;
  signer?: MessageSigner;
  provider: string;
  /** Lifetime (default 24 h); 0 = no expiry, for API keys (`tokenId` 0–254) only. */
  durationMs?: number;
  /** Default `EPHEMERAL_TOKEN_ID` (255). */
  tokenId?: number;
  /** The sub-account's `generation` (default 0); `revokeAllTokens` increments it and voids older tokens. */
  generation?: number;
  /** Default `Date.now()`. */
  now?: number;
  /** Default 16 random hex digits. */
  nonce?: string;
}

export interface SessionTokenReturnType {
  token: SessionToken;
  /** `JSON.stringify(token)`: the signed text. */
  rawMessage: string;
  signature: Hex;
  /** `app-sk-…`: the API key an OpenAI client takes. */
  apiKey: string;
  /** `Bearer app-sk-…`. */
  authorization: string;
}

export async function createSessionToken(p: CreateSessionTokenParameters): Promise<SessionTokenReturnType> {
  if ((p.privateKey === undefined) === (p.signer === undefined)) throw bad("give either privateKey or signer");
  const tokenId = p.tokenId ?? EPHEMERAL_TOKEN_ID;
  const durationMs = p.durationMs ?? MAX_EPHEMERAL_TOKEN_MS;
  const now = p.now ?? Date.now();
  const generation = p.generation ?? 0;
  if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId > 255) throw bad(`tokenId ${tokenId} is not in 0..255`);
  if (!Number.isSafeInteger(durationMs) || durationMs < 0) throw bad(`durationMs ${durationMs} is not a non-negative integer`);
  if (tokenId === EPHEMERAL_TOKEN_ID && (durationMs === 0 || durationMs > MAX_EPHEMERAL_TOKEN_MS))
    throw bad("an ephemeral token (tokenId 255) lasts at most 24 h; use tokenId 0..254 for a longer-lived API key");
  if (!Number.isSafeInteger(generation) || generation < 0) throw bad(`generation ${generation} is not a non-negative integer`);
  if (!isAddressString(p.provider)) throw bad(`provider ${p.provider} is not an address`);
  const address = p.privateKey ? addressOfKey(p.privateKey) : p.signer!.address;
  const token: SessionToken = {
    address,
    provider: p.provider,
    timestamp: now,
    expiresAt: durationMs === 0 ? 0 : now + durationMs,
    nonce: p.nonce ?? randomNonce(),
    generation,
    tokenId,
  };
  const rawMessage = JSON.stringify(token);
  const hash = keccak256(utf8ToBytes(rawMessage));
  const signature: Hex = p.privateKey
    ? bytesToHex(signDigest65(hashPersonalMessage(hash), p.privateKey))
    : ((await p.signer!.signMessage(hash)).toLowerCase() as Hex);
  const apiKey = SESSION_TOKEN_PREFIX + bytesToBase64(utf8ToBytes(`${rawMessage}|${signature}`));
  return { token, rawMessage, signature, apiKey, authorization: `Bearer ${apiKey}` };
}

export interface ParsedSessionToken {
  token: SessionToken;
  /** The exact signed text, as received. */
  rawMessage: string;
  /** 65 bytes. */
  signature: Uint8Array;
}

/**
 * Decodes `Bearer app-sk-…` (split at the first `|`, as 0G's broker does). Every field is type-checked; `generation`
 * may be absent (0) and `tokenId` too (255, so the 24 h limit applies). A `COMPUTE_UNAUTHORIZED` error says what is
 * wrong.
 */
export function parseSessionToken(authorization: string | undefined | null): ParsedSessionToken {
  if (!authorization) throw unauthorized("missing", "no Authorization header; send `Authorization: Bearer app-sk-…`");
  const m = /^Bearer +(\S+)$/i.exec(authorization.trim());
  if (!m || !m[1]!.startsWith(SESSION_TOKEN_PREFIX)) throw unauthorized("malformed", "the Authorization header is not `Bearer app-sk-…`");
  const bytes = base64ToBytes(m[1]!.slice(SESSION_TOKEN_PREFIX.length));
  if (!bytes) throw unauthorized("malformed", "the app-sk- key is not base64");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw unauthorized("malformed", "the app-sk- key is not UTF-8");
  }
  const bar = text.indexOf("|");
  if (bar < 0) throw unauthorized("malformed", "the app-sk- key has no `|` between token and signature");
  const rawMessage = text.slice(0, bar);
  let json: unknown;
  try {
    json = JSON.parse(rawMessage);
  } catch {
    throw unauthorized("malformed", "the session token is not JSON");
  }
  let signature: Uint8Array;
  try {
    signature = signatureFromHex(text.slice(bar + 1));
  } catch {
    throw unauthorized("malformed", "the session token's signature is not 0x + 130 hex digits");
  }
  return { token: tokenFields(json), rawMessage, signature };
}

function tokenFields(json: unknown): SessionToken {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw unauthorized("malformed", "the session token is not an object");
  const o = json as Record<string, unknown>;
  const field = (name: string, ok: boolean) => {
    if (!ok) throw unauthorized("malformed", `the session token's ${name} is missing or has the wrong type`);
  };
  const uint = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  field("address", isAddressString(o.address));
  field("provider", isAddressString(o.provider));
  field("timestamp", uint(o.timestamp));
  field("expiresAt", uint(o.expiresAt));
  field("nonce", typeof o.nonce === "string" && o.nonce.length <= 256);
  field("generation", o.generation === undefined || uint(o.generation));
  field("tokenId", o.tokenId === undefined || (uint(o.tokenId) && (o.tokenId as number) <= 255));
  return {
    address: o.address as string,
    provider: o.provider as string,
    timestamp: o.timestamp as number,
    expiresAt: o.expiresAt as number,
    nonce: o.nonce as string,
    generation: (o.generation as number | undefined) ?? 0,
    tokenId: (o.tokenId as number | undefined) ?? EPHEMERAL_TOKEN_ID,
  };
}

/** What the chain says about the user's sub-account with this provider. */
export interface TokenAccountState {
  generation: bigint | number;
  revokedBitmap: bigint;
}

export interface VerifySessionTokenParameters {
  /** This provider's address. */
  provider: string;
  /** Unix ms; default `Date.now()`. */
  now?: number;
  account: TokenAccountState;
}

/** The checks that need no signature recovery (the broker runs them on every request, cached token or not). */
export function checkSessionToken(token: SessionToken, p: VerifySessionTokenParameters): void {
  const now = p.now ?? Date.now();
  if (!sameAddress(token.provider, p.provider))
    throw unauthorized("wrong_provider", `the session token is for provider ${token.provider}, not ${p.provider}`);
  if (token.tokenId === EPHEMERAL_TOKEN_ID && (token.expiresAt === 0 || token.expiresAt - token.timestamp > MAX_EPHEMERAL_TOKEN_MS))
    throw unauthorized("lifetime_too_long", "an ephemeral session token (tokenId 255) must expire within 24 h of its timestamp");
  if (token.expiresAt > 0 && now > token.expiresAt)
    throw unauthorized("expired", `the session token expired at ${new Date(token.expiresAt).toISOString()}; create a new one`);
  const generation = BigInt(p.account.generation);
  if (BigInt(token.generation) !== generation)
    throw unauthorized(
      "revoked",
      BigInt(token.generation) < generation
        ? `the session token's generation ${token.generation} was revoked (the account is at generation ${generation}); create a new one`
        : `the session token's generation ${token.generation} is ahead of the account's (${generation})`,
    );
  if (token.tokenId !== EPHEMERAL_TOKEN_ID && ((p.account.revokedBitmap >> BigInt(token.tokenId)) & 1n) === 1n)
    throw unauthorized("revoked", `API key ${token.tokenId} was revoked (revokeToken); create a new one`);
}

/** The lower-case address that signed the token; a `COMPUTE_UNAUTHORIZED` error if it is not `token.address`. */
export function verifySessionTokenSignature(parsed: ParsedSessionToken): Hex {
  let signer: Hex;
  try {
    signer = recoverDigestSigner(hashPersonalMessage(keccak256(utf8ToBytes(parsed.rawMessage))), parsed.signature);
  } catch (e) {
    throw unauthorized("bad_signature", `the session token's signature is invalid: ${(e as Error).message}`);
  }
  if (!sameAddress(signer, parsed.token.address))
    throw unauthorized("bad_signature", "the session token is not signed by its address (forged or altered)");
  return signer;
}

/** All of 0G's checks: provider, lifetime, expiry, generation, revoked bit, signer. Returns the user (lower case). */
export function verifySessionToken(parsed: ParsedSessionToken, p: VerifySessionTokenParameters): Hex {
  checkSessionToken(parsed.token, p);
  return verifySessionTokenSignature(parsed);
}

function isAddressString(v: unknown): v is string {
  return typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v);
}

function randomNonce(): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return bytesToHex(b).slice(2);
}

function unauthorized(reason: string, message: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.UNAUTHORIZED, reason }, message);
}

function bad(detail: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.BAD_REQUEST, detail }, detail);
}
