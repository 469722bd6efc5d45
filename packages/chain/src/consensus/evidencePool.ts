import { bytesToHex, keccak256 } from "@zerog/core";
import type { Misbehavior } from "../execution/engine.js";

export interface EvidencePoolOptions {
  /** Most pending evidence kept (oldest dropped first). */
  maxPending: number;
  /** Most evidence a block records. */
  maxPerBlock: number;
  /** Evidence older than this many blocks is no longer accepted or proposed. */
  maxAgeBlocks: bigint;
}

export const defaultEvidencePoolOptions: EvidencePoolOptions = { maxPending: 1_000, maxPerBlock: 16, maxAgeBlocks: 100_000n };

export interface EvidencePoolDeps {
  /**
   * Checks encoded evidence against the validator set of its height; returns what the block
   * records, or a reason it is invalid.
   */
  check(evidence: Uint8Array): Misbehavior | string;
  /** The height that already recorded this evidence, if any. */
  committedAt(evidence: Uint8Array): bigint | undefined;
  /** The current consensus height. */
  height(): bigint;
}

/**
 * Verified, not yet recorded evidence of validator misbehaviour. The proposer records the oldest
 * in its block; every validator checks a proposed block's list the same way before voting for it.
 */
export class EvidencePool {
  private readonly opts: EvidencePoolOptions;
  private readonly deps: EvidencePoolDeps;
  private readonly pending = new Map<string, Misbehavior>();

  constructor(opts: Partial<EvidencePoolOptions>, deps: EvidencePoolDeps) {
    this.opts = { ...defaultEvidencePoolOptions, ...opts };
    this.deps = deps;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Adds evidence heard from the network or found locally; true when it is new and valid. */
  add(evidence: Uint8Array): boolean {
    const key = bytesToHex(keccak256(evidence));
    if (this.pending.has(key) || this.deps.committedAt(evidence) !== undefined) return false;
    const m = this.deps.check(evidence);
    if (typeof m === "string" || this.tooOld(m)) return false;
    if (this.pending.size >= this.opts.maxPending) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(key, m);
    return true;
  }

  /** What the next block should record. */
  forBlock(): Misbehavior[] {
    const out: Misbehavior[] = [];
    for (const [key, m] of this.pending) {
      if (this.tooOld(m) || this.deps.committedAt(m.evidence) !== undefined) {
        this.pending.delete(key);
        continue;
      }
      out.push(m);
      if (out.length >= this.opts.maxPerBlock) break;
    }
    return out;
  }

  /** Why a proposed block's misbehaviour list is unacceptable, or undefined. */
  checkBlock(list: readonly Misbehavior[]): string | undefined {
    if (list.length > this.opts.maxPerBlock) return `block records ${list.length} misbehaviours, limit ${this.opts.maxPerBlock}`;
    const seen = new Set<string>();
    for (const [i, m] of list.entries()) {
      const key = bytesToHex(keccak256(m.evidence));
      if (seen.has(key)) return `misbehaviour ${i} is listed twice`;
      seen.add(key);
      if (this.deps.committedAt(m.evidence) !== undefined) return `misbehaviour ${i} was already recorded`;
      const checked = this.deps.check(m.evidence);
      if (typeof checked === "string") return `misbehaviour ${i}: ${checked}`;
      if (this.tooOld(checked)) return `misbehaviour ${i} is too old`;
      if (
        bytesToHex(checked.validator) !== bytesToHex(m.validator) ||
        checked.height !== m.height ||
        checked.power !== m.power ||
        checked.totalPower !== m.totalPower
      ) {
        return `misbehaviour ${i} misstates its evidence`;
      }
    }
    return undefined;
  }

  /** Drops what a committed block recorded. */
  onCommitted(list: readonly Misbehavior[]): void {
    for (const m of list) this.pending.delete(bytesToHex(keccak256(m.evidence)));
  }

  private tooOld(m: Misbehavior): boolean {
    return m.height + this.opts.maxAgeBlocks < this.deps.height();
  }
}
