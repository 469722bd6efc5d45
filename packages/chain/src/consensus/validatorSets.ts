import type { Validator } from "./types.js";
import { ValidatorSet, type ValidatorUpdate } from "./validatorSet.js";

/**
 * The validator set of every height, from the genesis set at height 1. Changes the application
 * (staking) reports with the block of height H take effect at H+2, as in CometBFT:
 * `set(H+2) = set(H+1).nextHeight().withUpdates(updates of H)`; otherwise a height's set is the
 * previous one with proposer priorities advanced once.
 */
export class ValidatorSets {
  private readonly byHeight = new Map<bigint, ValidatorSet>();
  private readonly updates = new Map<bigint, ValidatorUpdate[]>();
  private highest = 1n;

  constructor(genesis: readonly Validator[]) {
    this.byHeight.set(1n, ValidatorSet.fromValidators(genesis));
  }

  /** The set that decides `height` (≥ 1). */
  forHeight(height: bigint): ValidatorSet {
    const hit = this.byHeight.get(height);
    if (hit) return hit;
    // Walk forward from the highest computed set (heights only grow in practice).
    let start = this.highest <= height ? this.highest : 1n;
    while (!this.byHeight.has(start)) start--;
    let set = this.byHeight.get(start)!;
    for (let h = start + 1n; h <= height; h++) {
      set = set.nextHeight();
      const pending = this.updates.get(h - 2n);
      if (pending && pending.length > 0) set = set.withUpdates(pending);
      this.remember(h, set);
    }
    return set;
  }

  /** The application's validator changes from block `height`; they apply from `height + 2`. */
  scheduleUpdates(height: bigint, updates: readonly ValidatorUpdate[]): void {
    if (updates.length === 0) return;
    this.updates.set(height, [...(this.updates.get(height) ?? []), ...updates]);
    // Sets computed beyond height+1 are stale now.
    for (const h of [...this.byHeight.keys()]) if (h >= height + 2n) this.byHeight.delete(h);
    if (this.highest >= height + 2n) this.highest = height + 1n;
  }

  private remember(height: bigint, set: ValidatorSet): void {
    this.byHeight.set(height, set);
    if (height > this.highest) this.highest = height;
    // Keep recent sets and the genesis one; older heights are recomputed on demand (block sync of old blocks).
    const old = height - 1024n;
    if (old > 1n) this.byHeight.delete(old);
  }
}
