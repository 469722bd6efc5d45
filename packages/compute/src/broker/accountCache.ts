import type { Hex } from "@zerog/core";
import type { BrokerAccount, BrokerChain } from "./brokerChain.js";

interface Entry {
  account: BrokerAccount | null;
  until: number;
}

/**
 * Sub-accounts read from the chain, kept `ttlMs` so a busy user costs one `getAccount` every few seconds; concurrent
 * misses share one read. Revocations and deposits are seen within `ttlMs`.
 */
export class AccountCache {
  private readonly entries = new Map<Hex, Entry>();
  private readonly inflight = new Map<Hex, Promise<BrokerAccount | null>>();

  constructor(
    private readonly chain: BrokerChain,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(user: Hex, fresh = false): Promise<BrokerAccount | null> {
    if (!fresh) {
      const e = this.entries.get(user);
      if (e && e.until > this.now()) return e.account;
    }
    let p = this.inflight.get(user);
    if (!p || fresh) {
      p = this.chain.getAccount(user).then(
        (account) => {
          if (this.inflight.get(user) === p) this.inflight.delete(user);
          this.entries.set(user, { account, until: this.now() + this.ttlMs });
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
    for (const [user, e] of this.entries) if (e.until <= now) this.entries.delete(user);
  }
}
