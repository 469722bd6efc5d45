import { bytesToBigInt, bytesToHex, bytesToUtf8 } from "@zerog/core";

const ERROR_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";

const PANICS: Record<number, string> = {
  0: "generic panic",
  1: "assert(false)",
  17: "arithmetic underflow or overflow",
  18: "division or modulo by zero",
  33: "enum overflow",
  34: "invalid encoded storage byte array accessed",
  49: "out-of-bounds array access; popping on an empty array",
  50: "out-of-bounds access of an array or bytesN",
  65: "out of memory",
  81: "uninitialized function",
};

/** The human-readable part of revert data: `Error(string)` text or a `Panic(uint256)` description. */
export function decodeRevertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined;
  const selector = bytesToHex(data.subarray(0, 4));
  if (selector === ERROR_SELECTOR && data.length >= 68) {
    const offset = Number(bytesToBigInt(data.subarray(4, 36)));
    const start = 4 + offset;
    if (start + 32 > data.length) return undefined;
    const len = Number(bytesToBigInt(data.subarray(start, start + 32)));
    if (start + 32 + len > data.length) return undefined;
    return bytesToUtf8(data.subarray(start + 32, start + 32 + len));
  }
  if (selector === PANIC_SELECTOR && data.length === 36) {
    const code = Number(bytesToBigInt(data.subarray(4, 36)));
    return PANICS[code] ?? `unknown panic code: 0x${code.toString(16)}`;
  }
  return undefined;
}
