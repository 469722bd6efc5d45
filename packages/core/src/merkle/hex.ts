// Tiny hex helpers: ../bytes.js uses Buffer, which browsers lack.
const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): `0x${string}` {
  let s = "0x";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return s as `0x${string}`;
}

/** Decodes a 0x-prefixed 32-byte hex string; null if it is anything else. */
export function hash32FromHex(value: unknown): Uint8Array | null {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(value.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isHash32(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === 32;
}
