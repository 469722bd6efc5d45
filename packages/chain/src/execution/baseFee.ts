import { BASE_FEE_MAX_CHANGE_DENOMINATOR, ELASTICITY_MULTIPLIER } from "../params.js";

/** EIP-1559: the base fee of the block after `parent`, never below `minBaseFee`. */
export function nextBaseFee(parent: { gasLimit: bigint; gasUsed: bigint; baseFeePerGas: bigint }, minBaseFee: bigint): bigint {
  const target = parent.gasLimit / ELASTICITY_MULTIPLIER;
  const base = parent.baseFeePerGas;
  let next: bigint;
  if (parent.gasUsed === target) next = base;
  else if (parent.gasUsed > target) {
    const delta = (base * (parent.gasUsed - target)) / target / BASE_FEE_MAX_CHANGE_DENOMINATOR;
    next = base + (delta > 1n ? delta : 1n);
  } else {
    next = base - (base * (target - parent.gasUsed)) / target / BASE_FEE_MAX_CHANGE_DENOMINATOR;
  }
  return next < minBaseFee ? minBaseFee : next;
}
