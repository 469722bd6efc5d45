import type { PeerAddress } from "./peerAddress.js";

export interface PeerBookOptions {
  /** Addresses kept for dialling (learned from seeds and PEX). */
  maxAddresses: number;
  /** Scores are clamped to [-maxScore * 10, maxScore]: good behaviour cannot buy unlimited credit. */
  maxScore: number;
  banThreshold: number;
  banDurationMs: number;
}

interface BookEntry {
  address: PeerAddress;
  failures: number;
  /** Seeds and persistent peers are never forgotten. */
  pinned: boolean;
}

const MAX_FAILURES = 3;
const MAX_SCORED = 4096;

/** Known addresses, peer scores and bans. Scores outlive connections so reconnecting does not reset them. */
export class PeerBook {
  private readonly entries = new Map<string, BookEntry>();
  private readonly scores = new Map<string, number>();
  private readonly bans = new Map<string, number>();

  constructor(private readonly opts: PeerBookOptions) {}

  add(address: PeerAddress, pinned = false): boolean {
    const e = this.entries.get(address.id);
    if (e) {
      if (pinned) Object.assign(e, { address, pinned: true, failures: 0 });
      else if (!e.pinned) e.address = address;
      return false;
    }
    if (!pinned && this.entries.size >= this.opts.maxAddresses) return false;
    this.entries.set(address.id, { address, failures: 0, pinned });
    return true;
  }

  get(id: string): PeerAddress | undefined {
    return this.entries.get(id)?.address;
  }

  /** Addresses to try, fewest failures first. */
  candidates(): PeerAddress[] {
    return [...this.entries.values()].sort((a, b) => a.failures - b.failures).map((e) => e.address);
  }

  dialFailed(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (++e.failures >= MAX_FAILURES && !e.pinned) this.entries.delete(id);
  }

  dialSucceeded(id: string): void {
    const e = this.entries.get(id);
    if (e) e.failures = 0;
  }

  score(id: string): number {
    return this.scores.get(id) ?? 0;
  }

  /** Adds `delta` to a peer's score and returns the new score. */
  adjust(id: string, delta: number): number {
    const max = this.opts.maxScore;
    const next = Math.max(-10 * max, Math.min(max, this.score(id) + delta));
    this.scores.delete(id);
    this.scores.set(id, next);
    if (this.scores.size > MAX_SCORED) {
      const oldest = this.scores.keys().next().value;
      if (oldest !== undefined) this.scores.delete(oldest);
    }
    return next;
  }

  belowThreshold(id: string): boolean {
    return this.score(id) <= this.opts.banThreshold;
  }

  ban(id: string, now: number): void {
    this.bans.set(id, now + this.opts.banDurationMs);
    // The ban is the punishment; the score starts over when it ends.
    this.scores.delete(id);
    if (!this.entries.get(id)?.pinned) this.entries.delete(id);
  }

  isBanned(id: string, now: number): boolean {
    const until = this.bans.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.bans.delete(id);
    return false;
  }

  /** A peer left with a non-negative score: nothing to remember. */
  forgetScore(id: string): void {
    if (this.score(id) >= 0) this.scores.delete(id);
  }
}
