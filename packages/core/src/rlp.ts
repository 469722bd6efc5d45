import { RLP } from "@ethereumjs/rlp";
import { CoreError, CoreErrorCode } from "./errors.js";

export type RLPInput = Uint8Array | bigint | number | string | null | undefined | readonly RLPInput[];
export type RLPDecoded = Uint8Array | RLPDecoded[];

export function rlpEncode(input: RLPInput): Uint8Array {
  return RLP.encode(input as Parameters<typeof RLP.encode>[0]);
}

/** Decodes one RLP item that must span the whole input; malformed input is `CORE_INVALID_RLP`. */
export function rlpDecode(input: Uint8Array): RLPDecoded {
  try {
    return RLP.decode(input) as RLPDecoded;
  } catch (e) {
    throw new CoreError({ code: CoreErrorCode.INVALID_RLP, reason: (e as Error).message }, `invalid RLP: ${(e as Error).message}`);
  }
}
