import { bytesToHex, type Hex, hexToBytes, utf8ToBytes } from "./bytes.js";
import { keccak256 } from "./hash.js";

export type Address = Hex;

export function isAddress(value: unknown): value is Address {
  return typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value);
}

/** EIP-55 mixed-case checksum encoding. */
export function toChecksumAddress(address: string | Uint8Array): Address {
  const lower = (typeof address === "string" ? address : bytesToHex(address)).toLowerCase().slice(2);
  const hash = bytesToHex(keccak256(utf8ToBytes(lower))).slice(2);
  let out = "0x";
  for (let i = 0; i < 40; i++) out += Number.parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  return out as Address;
}

export function addressToBytes(address: string): Uint8Array {
  return hexToBytes(address.toLowerCase());
}
