import type { Hex } from "@zerog/core";
import type { BrokerAccount, BrokerChain } from "./brokerChain.js";

interface Entry {
  account: BrokerAccount | null;
  at: number;
}

/**
 * Sub-accounts read from the chain, kept `ttlMs` so a busy user costs one `getAccount` every few seconds; concurrent
 * misses share one read. Revocations and deposits are seen within `ttlMs`; a caller about to refuse a request asks
 * for a younger copy (`maxAgeMs`), which still costs at most one read per user per `maxAgeMs`.
 */
export class AccountCache {
  private readonly entries = new Map<Hex, Entry>();
  private readonly inflight = new Map<Hex, Promise<BrokerAccount | null>>();

  constructor(
    private readonly chain: BrokerChain,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The account, read from the chain unless the cached copy is younger than `maxAgeMs` (default: the TTL). */
  async get(user: Hex, maxAgeMs = this.ttlMs): Promise<BrokerAccount | null> {
    const e = this.entries.get(user);
    if (e && this.now() - e.at < Math.min(maxAgeMs, this.ttlMs)) return e.account;
    let p = this.inflight.get(user);
    if (!p) {
      p = this.chain.getAccount(user).then(
        (account) => {
          if (this.inflight.get(user) === p) this.inflight.delete(user);
          this.entries.set(user, { account, at: this.now() });
          if (this.entries.size > 100_000) this.sweep();
          return account;
        },
        (e: unknown) => {
          if (this.inflight.get(user) === p) this.inflight.delete(user);
          throw e;
        },
      );
      this.inflight.set(user, p);
    }
    return p;
  }

  /** Forgets a user's account (after a settlement changed it). */
  invalidate(user: Hex): void {
    this.entries.delete(user);
    this.inflight.delete(user);
  }

  private sweep(): void {
    const now = this.now();
    for (const [user, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(user);
  }
}
