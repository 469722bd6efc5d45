import { createCipheriv, createDecipheriv, createHash, createHmac, type KeyObject } from "node:crypto";
import { P2PError, P2PErrorCode } from "./errors.js";
import { dh, generateKeyPair, publicKeyObject, type X25519KeyPair } from "./nodeKey.js";

/**
 * Noise_XX_25519_ChaChaPoly_SHA256 (Noise spec rev. 34) on node:crypto: X25519, ChaCha20-Poly1305
 * (IETF, 96-bit nonce = 32 zero bits ‖ 64-bit little-endian counter), SHA-256 and the spec's HKDF.
 * Checked against the cacophony test vector in test/unit/p2pNoise.test.ts.
 *
 *   -> e
 *   <- e, ee, s, es
 *   -> s, se
 */
export const PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";
export const DHLEN = 32;
export const TAGLEN = 16;
const EMPTY = Buffer.alloc(0);
// Past 2^53 the counter would lose precision; a connection never gets near it (2^53 frames).
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

/** One direction's AEAD key with its implicit nonce counter. */
export class CipherState {
  private n = 0;
  private readonly nonce = Buffer.alloc(12);

  constructor(private readonly key: Buffer) {}

  encrypt(plaintext: Uint8Array, ad: Uint8Array = EMPTY): { ciphertext: Buffer; tag: Buffer } {
    const cipher = createCipheriv("chacha20-poly1305", this.key, this.nextNonce(), { authTagLength: TAGLEN });
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const ciphertext = plaintext.length > 0 ? cipher.update(plaintext) : EMPTY;
    cipher.final();
    return { ciphertext, tag: cipher.getAuthTag() };
  }

  /** Encrypts the concatenation of `parts` as one message without concatenating them: [ciphertext pieces..., tag]. */
  encryptParts(parts: readonly Uint8Array[]): Buffer[] {
    const cipher = createCipheriv("chacha20-poly1305", this.key, this.nextNonce(), { authTagLength: TAGLEN });
    const out: Buffer[] = [];
    for (const p of parts) if (p.length > 0) out.push(cipher.update(p));
    cipher.final();
    out.push(cipher.getAuthTag());
    return out;
  }

  /** ciphertext ‖ tag in one buffer (handshake messages, test vectors). */
  seal(plaintext: Uint8Array, ad: Uint8Array = EMPTY): Buffer {
    const { ciphertext, tag } = this.encrypt(plaintext, ad);
    return Buffer.concat([ciphertext, tag]);
  }

  /** Opens ciphertext ‖ tag; throws on a forged or corrupted message. */
  open(sealed: Uint8Array, ad: Uint8Array = EMPTY): Buffer {
    if (sealed.length < TAGLEN) throw violation("short_ciphertext");
    const body = sealed.subarray(0, sealed.length - TAGLEN);
    const decipher = createDecipheriv("chacha20-poly1305", this.key, this.nextNonce(), { authTagLength: TAGLEN });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAGLEN));
    if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: body.length });
    const out = body.length > 0 ? decipher.update(body) : EMPTY;
    try {
      decipher.final();
    } catch {
      throw violation("decrypt");
    }
    return out;
  }

  private nextNonce(): Buffer {
    if (this.n >= MAX_NONCE) throw violation("nonce_exhausted");
    const n = this.n++;
    this.nonce.writeUInt32LE(n >>> 0, 4);
    this.nonce.writeUInt32LE(Math.floor(n / 0x1_0000_0000), 8);
    return this.nonce;
  }
}

function violation(reason: string): P2PError {
  return new P2PError({ code: P2PErrorCode.PROTOCOL_VIOLATION, reason });
}

function handshakeFailed(reason: string): P2PError {
  return new P2PError({ code: P2PErrorCode.HANDSHAKE_FAILED, reason });
}

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The spec's HKDF with two outputs (= RFC 5869 with salt = ck and empty info). */
function hkdf2(ck: Uint8Array, ikm: Uint8Array): [Buffer, Buffer] {
  const prk = hmac(ck, ikm);
  const out1 = hmac(prk, Uint8Array.of(1));
  return [out1, hmac(prk, out1, Uint8Array.of(2))];
}

export interface NoiseXXOptions {
  initiator: boolean;
  staticKey: X25519KeyPair;
  prologue: Uint8Array;
  /** Fixed ephemeral key (test vectors only); fresh by default. */
  ephemeralKey?: X25519KeyPair;
}

/** The XX handshake state machine: pure and synchronous; the socket side is in `handshake.ts`. */
export class NoiseXX {
  private ck: Buffer;
  private h: Buffer;
  private k: CipherState | null = null;
  private step = 0;
  private readonly e: X25519KeyPair;
  private re: Buffer | null = null;
  /** `re` imported once: it takes part in two DHs. */
  private reKey: KeyObject | null = null;
  private rs: Buffer | null = null;

  constructor(private readonly opts: NoiseXXOptions) {
    // The protocol name is exactly HASHLEN bytes, so h starts as the name itself.
    this.h = Buffer.from(PROTOCOL_NAME, "ascii");
    this.ck = this.h;
    this.mixHash(opts.prologue);
    this.e = opts.ephemeralKey ?? generateKeyPair();
  }

  /** The remote static key (the peer's node id), known after message 2 (initiator) or 3 (responder). */
  get remoteStatic(): Buffer | null {
    return this.rs;
  }

  get handshakeHash(): Buffer {
    return this.h;
  }

  get complete(): boolean {
    return this.step === 3;
  }

  writeMessage(payload: Uint8Array): Buffer {
    const { initiator } = this.opts;
    const s = this.opts.staticKey;
    if (this.step === 0 && initiator) {
      this.mixHash(this.e.publicKey);
      return this.done(Buffer.concat([this.e.publicKey, this.encryptAndHash(payload)]));
    }
    if (this.step === 1 && !initiator) {
      const re = this.remoteEphemeral();
      this.mixHash(this.e.publicKey);
      this.mixKey(dh(this.e.privateKey, re));
      const encS = this.encryptAndHash(s.publicKey);
      this.mixKey(dh(s.privateKey, re));
      return this.done(Buffer.concat([this.e.publicKey, encS, this.encryptAndHash(payload)]));
    }
    if (this.step === 2 && initiator) {
      const encS = this.encryptAndHash(s.publicKey);
      this.mixKey(dh(s.privateKey, this.remoteEphemeral()));
      return this.done(Buffer.concat([encS, this.encryptAndHash(payload)]));
    }
    throw handshakeFailed(`cannot write message ${this.step + 1} as ${initiator ? "initiator" : "responder"}`);
  }

  readMessage(message: Uint8Array): Buffer {
    const { initiator } = this.opts;
    const msg = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    if (this.step === 0 && !initiator) {
      if (msg.length < DHLEN) throw handshakeFailed("message 1 too short");
      this.re = Buffer.from(msg.subarray(0, DHLEN));
      this.mixHash(this.re);
      return this.done(this.decryptAndHash(msg.subarray(DHLEN)));
    }
    if (this.step === 1 && initiator) {
      if (msg.length < DHLEN + DHLEN + TAGLEN + TAGLEN) throw handshakeFailed("message 2 too short");
      this.re = Buffer.from(msg.subarray(0, DHLEN));
      this.mixHash(this.re);
      this.mixKey(dh(this.e.privateKey, this.remoteEphemeral()));
      this.rs = this.decryptAndHash(msg.subarray(DHLEN, DHLEN + DHLEN + TAGLEN));
      this.mixKey(dh(this.e.privateKey, publicKeyObject(this.rs)));
      return this.done(this.decryptAndHash(msg.subarray(DHLEN + DHLEN + TAGLEN)));
    }
    if (this.step === 2 && !initiator) {
      if (msg.length < DHLEN + TAGLEN + TAGLEN) throw handshakeFailed("message 3 too short");
      this.rs = this.decryptAndHash(msg.subarray(0, DHLEN + TAGLEN));
      this.mixKey(dh(this.e.privateKey, publicKeyObject(this.rs)));
      return this.done(this.decryptAndHash(msg.subarray(DHLEN + TAGLEN)));
    }
    throw handshakeFailed(`cannot read message ${this.step + 1} as ${initiator ? "initiator" : "responder"}`);
  }

  /** The transport keys after message 3: the initiator sends with the first, the responder with the second. */
  split(): { send: CipherState; receive: CipherState } {
    if (!this.complete) throw handshakeFailed("split before the handshake completed");
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    const [a, b] = [new CipherState(k1), new CipherState(k2)];
    return this.opts.initiator ? { send: a, receive: b } : { send: b, receive: a };
  }

  private done<T>(out: T): T {
    this.step++;
    return out;
  }

  private remoteEphemeral(): KeyObject {
    if (!this.re) throw handshakeFailed("missing remote ephemeral key");
    this.reKey ??= publicKeyObject(this.re);
    return this.reKey;
  }

  private mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data);
  }

  private mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.k = new CipherState(k);
  }

  private encryptAndHash(plaintext: Uint8Array): Buffer {
    const out = this.k ? this.k.seal(plaintext, this.h) : Buffer.from(plaintext);
    this.mixHash(out);
    return out;
  }

  private decryptAndHash(ciphertext: Buffer): Buffer {
    let out: Buffer;
    try {
      out = this.k ? this.k.open(ciphertext, this.h) : Buffer.from(ciphertext);
    } catch {
      throw handshakeFailed("handshake message does not decrypt (wrong network or corrupted)");
    }
    this.mixHash(ciphertext);
    return out;
  }
}
