import { bytesToHex, compareBytes, ZgError } from "@zerog/core";
import type { Validator, ValidatorSetData } from "./types.js";

/** CometBFT `MaxTotalVotingPower` = MaxInt64 / 8: keeps every priority sum inside int64. */
export const MAX_TOTAL_VOTING_POWER = (2n ** 63n - 1n) / 8n;
/** CometBFT `PriorityWindowSizeFactor`: priorities are rescaled to stay within 2·P of each other. */
export const PRIORITY_WINDOW_SIZE_FACTOR = 2n;

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export enum ValidatorSetErrorCode {
  EMPTY = "VALIDATOR_SET_EMPTY",
  DUPLICATE = "VALIDATOR_SET_DUPLICATE",
  INVALID_POWER = "VALIDATOR_SET_INVALID_POWER",
  POWER_OVERFLOW = "VALIDATOR_SET_POWER_OVERFLOW",
  UNKNOWN_VALIDATOR = "VALIDATOR_SET_UNKNOWN_VALIDATOR",
  MALFORMED = "VALIDATOR_SET_MALFORMED",
}

export type ValidatorSetErrorType =
  | { code: ValidatorSetErrorCode.EMPTY }
  | { code: ValidatorSetErrorCode.DUPLICATE; address: string }
  | { code: ValidatorSetErrorCode.INVALID_POWER; address: string; power: bigint }
  | { code: ValidatorSetErrorCode.POWER_OVERFLOW; max: bigint }
  | { code: ValidatorSetErrorCode.UNKNOWN_VALIDATOR; address: string }
  | { code: ValidatorSetErrorCode.MALFORMED; reason: string };

export class ValidatorSetError extends ZgError<ValidatorSetErrorType> {}

/** A change returned by the application: `power` 0 removes the validator, anything else adds or updates it. */
export interface ValidatorUpdate {
  address: Uint8Array;
  publicKey: Uint8Array;
  power: bigint;
}

/**
 * The validators of one height with CometBFT's weighted round-robin proposer selection
 * (`types/validator_set.go`), sorted by address.
 *
 * `priorities` are the proposer priorities *before* this height's increment: the proposer of
 * round 0 is the one `IncrementProposerPriority(1)` elects, and round r > 0 increments r more times
 * (as a second `IncrementProposerPriority(r)` call, which is what CometBFT does when it enters
 * round r straight from round 0). `nextHeight()` keeps the priorities after the height's increment.
 * Validator updates from the application at height H apply to H+2:
 * `set(H+2) = set(H+1).nextHeight().withUpdates(updates)`, as CometBFT's `updateState` does.
 */
export class ValidatorSet {
  readonly validators: readonly Validator[];
  readonly priorities: readonly bigint[];
  readonly totalPower: bigint;
  private readonly powers: bigint[];
  private readonly byAddress = new Map<string, number>();
  /** Memo of proposers by round, and the priorities after the last memoised round (round ≥ 1). */
  private readonly roundProposers: number[] = [];
  private roundCursor: bigint[] | null = null;

  constructor(data: ValidatorSetData) {
    if (data.validators.length === 0) throw new ValidatorSetError({ code: ValidatorSetErrorCode.EMPTY });
    if (data.priorities.length !== data.validators.length) {
      throw new ValidatorSetError({ code: ValidatorSetErrorCode.MALFORMED, reason: "one priority per validator" });
    }
    const order = data.validators.map((_, i) => i).sort((a, b) => compareBytes(data.validators[a]!.address, data.validators[b]!.address));
    this.validators = order.map((i) => data.validators[i]!);
    this.priorities = order.map((i) => data.priorities[i]!);
    let total = 0n;
    for (const [i, v] of this.validators.entries()) {
      const address = bytesToHex(v.address);
      if (this.byAddress.has(address)) throw new ValidatorSetError({ code: ValidatorSetErrorCode.DUPLICATE, address });
      if (v.power <= 0n || v.power > MAX_TOTAL_VOTING_POWER) {
        throw new ValidatorSetError({ code: ValidatorSetErrorCode.INVALID_POWER, address, power: v.power });
      }
      const p = this.priorities[i]!;
      if (p < INT64_MIN || p > INT64_MAX)
        throw new ValidatorSetError({ code: ValidatorSetErrorCode.MALFORMED, reason: "priority out of int64" });
      this.byAddress.set(address, i);
      total += v.power;
    }
    if (total > MAX_TOTAL_VOTING_POWER)
      throw new ValidatorSetError({ code: ValidatorSetErrorCode.POWER_OVERFLOW, max: MAX_TOTAL_VOTING_POWER });
    this.totalPower = total;
    this.powers = this.validators.map((v) => v.power);
  }

  /** A genesis set (CometBFT `NewValidatorSet`): every validator starts at the same priority. */
  static fromValidators(validators: readonly Validator[]): ValidatorSet {
    for (const v of validators) {
      if (v.power <= 0n)
        throw new ValidatorSetError({ code: ValidatorSetErrorCode.INVALID_POWER, address: bytesToHex(v.address), power: v.power });
    }
    return new ValidatorSet(applyChanges([], [], validators));
  }

  get size(): number {
    return this.validators.length;
  }

  /** +2/3: strictly more than two thirds of the total power (a quorum). */
  hasTwoThirds(power: bigint): boolean {
    return power * 3n > this.totalPower * 2n;
  }

  /** f+1: strictly more than one third of the total power (at least one honest validator). */
  hasOneThird(power: bigint): boolean {
    return power * 3n > this.totalPower;
  }

  /** Index of the validator with this address, or -1. */
  indexOf(address: Uint8Array): number {
    return this.byAddress.get(bytesToHex(address)) ?? -1;
  }

  /** Voting power of validator `index`, 0 for an index outside the set. */
  powerOf(index: number): bigint {
    return this.powers[index] ?? 0n;
  }

  /** Index of the proposer of `round` at this height; O(round·n) the first time a round is asked for. */
  proposerIndex(round: number): number {
    if (!Number.isSafeInteger(round) || round < 0)
      throw new ValidatorSetError({ code: ValidatorSetErrorCode.MALFORMED, reason: `round ${round}` });
    if (this.roundProposers.length === 0) {
      const prios = [...this.priorities];
      this.roundProposers.push(incrementProposerPriority(prios, this.powers, this.totalPower, 1));
      this.roundCursor = prios;
    }
    while (this.roundProposers.length <= round) {
      const prios = this.roundCursor!;
      // The second IncrementProposerPriority call rescales and centres once, then increments.
      if (this.roundProposers.length === 1) rescaleAndShift(prios, this.totalPower);
      this.roundProposers.push(incrementOnce(prios, this.powers, this.totalPower));
    }
    return this.roundProposers[round]!;
  }

  proposer(round: number): Validator {
    return this.validators[this.proposerIndex(round)]!;
  }

  /** The same validators with priorities advanced by this height's increment (the next height's set). */
  nextHeight(): ValidatorSet {
    const prios = [...this.priorities];
    incrementProposerPriority(prios, this.powers, this.totalPower, 1);
    return new ValidatorSet({ validators: [...this.validators], priorities: prios });
  }

  /**
   * Applies validator changes with CometBFT's `UpdateWithChangeSet` rules: no duplicate addresses,
   * power 0 removes (the validator must exist), a new validator starts at −1.125·P (P counted after
   * the updates, before the removals), the total may not exceed `MAX_TOTAL_VOTING_POWER`, the set
   * may not become empty; then priorities are rescaled and centred.
   */
  withUpdates(changes: readonly ValidatorUpdate[]): ValidatorSet {
    if (changes.length === 0) return this;
    return new ValidatorSet(applyChanges(this.validators, this.priorities, changes));
  }

  toData(): ValidatorSetData {
    return { validators: [...this.validators], priorities: [...this.priorities] };
  }
}

function applyChanges(current: readonly Validator[], priorities: readonly bigint[], changes: readonly ValidatorUpdate[]): ValidatorSetData {
  const sorted = [...changes].sort((a, b) => compareBytes(a.address, b.address));
  const existing = new Map<string, number>();
  for (const [i, v] of current.entries()) existing.set(bytesToHex(v.address), i);
  const updates: ValidatorUpdate[] = [];
  const removals = new Set<string>();
  let removedPower = 0n;
  let previous: string | null = null;
  let added = 0;
  for (const change of sorted) {
    const address = bytesToHex(change.address);
    if (address === previous) throw new ValidatorSetError({ code: ValidatorSetErrorCode.DUPLICATE, address });
    previous = address;
    if (change.power < 0n || change.power > MAX_TOTAL_VOTING_POWER) {
      throw new ValidatorSetError({ code: ValidatorSetErrorCode.INVALID_POWER, address, power: change.power });
    }
    const index = existing.get(address);
    if (change.power === 0n) {
      if (index === undefined) throw new ValidatorSetError({ code: ValidatorSetErrorCode.UNKNOWN_VALIDATOR, address });
      removals.add(address);
      removedPower += current[index]!.power;
    } else {
      updates.push(change);
      if (index === undefined) added++;
    }
  }
  if (added === 0 && removals.size === current.length) throw new ValidatorSetError({ code: ValidatorSetErrorCode.EMPTY });

  // Total after updates and before removals, checked in order of increasing delta (CometBFT verifyUpdates).
  const delta = (u: ValidatorUpdate): bigint => {
    const i = existing.get(bytesToHex(u.address));
    return i === undefined ? u.power : u.power - current[i]!.power;
  };
  let running = current.reduce((s, v) => s + v.power, 0n) - removedPower;
  for (const d of updates.map(delta).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    running += d;
    if (running > MAX_TOTAL_VOTING_POWER)
      throw new ValidatorSetError({ code: ValidatorSetErrorCode.POWER_OVERFLOW, max: MAX_TOTAL_VOTING_POWER });
  }
  const tvpBeforeRemovals = running + removedPower;
  const newPriority = -(tvpBeforeRemovals + (tvpBeforeRemovals >> 3n));

  const merged = new Map<string, { validator: Validator; priority: bigint }>();
  for (const [i, v] of current.entries()) merged.set(bytesToHex(v.address), { validator: v, priority: priorities[i]! });
  for (const u of updates) {
    const address = bytesToHex(u.address);
    const old = merged.get(address);
    const validator: Validator = { address: u.address, publicKey: u.publicKey, power: u.power };
    merged.set(address, { validator, priority: old?.priority ?? newPriority });
  }
  for (const address of removals) merged.delete(address);

  const entries = [...merged.values()].sort((a, b) => compareBytes(a.validator.address, b.validator.address));
  const validators = entries.map((e) => e.validator);
  const prios = entries.map((e) => e.priority);
  const total = validators.reduce((s, v) => s + v.power, 0n);
  if (total > MAX_TOTAL_VOTING_POWER)
    throw new ValidatorSetError({ code: ValidatorSetErrorCode.POWER_OVERFLOW, max: MAX_TOTAL_VOTING_POWER });
  rescaleAndShift(prios, total);
  return { validators, priorities: prios };
}

/** CometBFT `IncrementProposerPriority(times)`, in place; returns the index elected last. */
function incrementProposerPriority(prios: bigint[], powers: readonly bigint[], total: bigint, times: number): number {
  rescaleAndShift(prios, total);
  let proposer = -1;
  for (let t = 0; t < times; t++) proposer = incrementOnce(prios, powers, total);
  return proposer;
}

function rescaleAndShift(prios: bigint[], total: bigint): void {
  const diffMax = PRIORITY_WINDOW_SIZE_FACTOR * total;
  if (diffMax > 0n) {
    let max = prios[0]!;
    let min = prios[0]!;
    for (const p of prios) {
      if (p > max) max = p;
      if (p < min) min = p;
    }
    const diff = max - min;
    if (diff > diffMax) {
      const ratio = (diff + diffMax - 1n) / diffMax;
      // Go's int64 division truncates toward zero, as bigint division does.
      for (let i = 0; i < prios.length; i++) prios[i] = prios[i]! / ratio;
    }
  }
  let sum = 0n;
  for (const p of prios) sum += p;
  const n = BigInt(prios.length);
  // big.Int.Div is Euclidean: floor for a positive divisor.
  const avg = sum >= 0n ? sum / n : -((-sum + n - 1n) / n);
  for (let i = 0; i < prios.length; i++) prios[i] = clip(prios[i]! - avg);
}

function incrementOnce(prios: bigint[], powers: readonly bigint[], total: bigint): number {
  let best = 0;
  for (let i = 0; i < prios.length; i++) {
    prios[i] = clip(prios[i]! + powers[i]!);
    // Strictly greater: on a tie the earlier index, i.e. the smaller address, wins.
    if (prios[i]! > prios[best]!) best = i;
  }
  prios[best] = clip(prios[best]! - total);
  return best;
}

function clip(x: bigint): bigint {
  return x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : x;
}
