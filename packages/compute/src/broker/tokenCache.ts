import type { Hex } from "@zerog/core";
import { parseSessionToken, type SessionToken, verifySessionTokenSignature } from "../client/sessionToken.js";

interface Verified {
  token: SessionToken;
  user: Hex;
  until: number;
}

/**
 * Session tokens whose signature was checked, keyed by the whole Authorization header, so a client that reuses its
 * key costs one map lookup instead of a keccak, a base64 decode and a public-key recovery per request. An entry lives
 * until the token expires or `maxAgeMs` (0G caches 5 min), whichever is first; the account checks (generation,
 * revoked bit, expiry) still run on every request.
 */
export class TokenCache {
  private readonly entries = new Map<string, Verified>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs = 300_000,
  ) {}

  /** The token and its signer; throws `COMPUTE_UNAUTHORIZED` for a malformed or forged one. */
  verify(authorization: string | undefined, now: number): { token: SessionToken; user: Hex } {
    if (authorization !== undefined) {
      const hit = this.entries.get(authorization);
      if (hit && hit.until > now) return hit;
    }
    const parsed = parseSessionToken(authorization);
    const user = verifySessionTokenSignature(parsed);
    const expires = parsed.token.expiresAt === 0 ? Number.POSITIVE_INFINITY : parsed.token.expiresAt;
    const entry = { token: parsed.token, user, until: Math.min(now + this.maxAgeMs, expires) };
    if (this.entries.size >= this.maxEntries) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(authorization!, entry);
    return entry;
  }
}
