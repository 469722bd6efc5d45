import { keccak256 } from "@zerog/core";

export const BLOOM_BYTES = 256;

/** Sets the three bits of `value` in a 2048-bit logs bloom (Yellow Paper §4.3.1). */
export function bloomAdd(bloom: Uint8Array, value: Uint8Array): void {
  const h = keccak256(value);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    bloom[BLOOM_BYTES - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

export function bloomContains(bloom: Uint8Array, value: Uint8Array): boolean {
  const h = keccak256(value);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    if ((bloom[BLOOM_BYTES - 1 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

export type LogTuple = [address: Uint8Array, topics: Uint8Array[], data: Uint8Array];

export function logsBloom(logs: Iterable<LogTuple>, into = new Uint8Array(BLOOM_BYTES)): Uint8Array {
  for (const [address, topics] of logs) {
    bloomAdd(into, address);
    for (const t of topics) bloomAdd(into, t);
  }
  return into;
}
