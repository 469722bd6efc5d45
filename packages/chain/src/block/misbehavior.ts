import { bytesToBigInt, concatBytes, keccak256, type RLPDecoded, rlpDecode, rlpEncode } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";
import type { Misbehavior } from "../execution/engine.js";

/** extraData of a block that records misbehaviour: 0x01 ‖ keccak256(rlp(list)). */
export const MISBEHAVIOR_MARKER = 0x01;

export function encodeMisbehavior(list: readonly Misbehavior[]): Uint8Array {
  return rlpEncode(list.map((m) => [m.kind, m.validator, m.height, m.power, m.totalPower, m.evidence]));
}

export function decodeMisbehavior(enc: Uint8Array): Misbehavior[] {
  const d = rlpDecode(enc);
  if (!Array.isArray(d)) throw corrupt();
  return d.map((item: RLPDecoded) => {
    if (!Array.isArray(item) || item.length !== 6 || item.some((x) => Array.isArray(x))) throw corrupt();
    const [kind, validator, height, power, total, evidence] = item as Uint8Array[];
    if (new TextDecoder().decode(kind) !== "duplicate-vote") throw corrupt();
    return {
      kind: "duplicate-vote",
      validator: validator!,
      height: bytesToBigInt(height!),
      power: bytesToBigInt(power!),
      totalPower: bytesToBigInt(total!),
      evidence: evidence!,
    };
  });
}

/** The extraData committing to a block's misbehaviour list. */
export function misbehaviorCommitment(list: readonly Misbehavior[]): Uint8Array {
  return concatBytes(Uint8Array.of(MISBEHAVIOR_MARKER), keccak256(encodeMisbehavior(list)));
}

function corrupt(): ChainError {
  return new ChainError({ code: ChainErrorCode.CORRUPT_DATA, what: "misbehavior" }, "misbehaviour list is malformed");
}
