import { isIP } from "node:net";
import type { PeerAddress } from "./peerAddress.js";

/**
 * Peer exchange on channel PEX: a request is one byte; a response lists up to `MAX_PEX_ADDRESSES`
 * addresses as id (32 bytes) ‖ host length (u8) ‖ host (an IP literal, ASCII) ‖ port (u16 BE).
 * Addresses need no signature: a dial checks the id in the handshake, so a lie costs one failed dial.
 */
export const PEX_REQUEST = 1;
export const PEX_ADDRESSES = 2;
export const MAX_PEX_ADDRESSES = 32;

export type PexMessage = { type: "request" } | { type: "addresses"; addresses: PeerAddress[] };

export function encodePexRequest(): Uint8Array {
  return Uint8Array.of(PEX_REQUEST);
}

export function encodePexAddresses(addresses: readonly PeerAddress[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from([PEX_ADDRESSES, Math.min(addresses.length, MAX_PEX_ADDRESSES)])];
  for (const a of addresses.slice(0, MAX_PEX_ADDRESSES)) {
    const host = Buffer.from(a.host, "ascii");
    const tail = Buffer.allocUnsafe(1 + host.length + 2);
    tail[0] = host.length;
    host.copy(tail, 1);
    tail.writeUInt16BE(a.port, 1 + host.length);
    parts.push(Buffer.from(a.id, "hex"), tail);
  }
  return Buffer.concat(parts);
}

/** Null for anything malformed (the caller rejects the sender). */
export function decodePex(data: Uint8Array): PexMessage | null {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length === 1 && b[0] === PEX_REQUEST) return { type: "request" };
  if (b.length < 2 || b[0] !== PEX_ADDRESSES) return null;
  const count = b[1]!;
  if (count > MAX_PEX_ADDRESSES) return null;
  const addresses: PeerAddress[] = [];
  let o = 2;
  for (let i = 0; i < count; i++) {
    if (b.length < o + 33) return null;
    const id = b.subarray(o, o + 32).toString("hex");
    const hostLen = b[o + 32]!;
    o += 33;
    if (b.length < o + hostLen + 2) return null;
    const host = b.subarray(o, o + hostLen).toString("ascii");
    const port = b.readUInt16BE(o + hostLen);
    o += hostLen + 2;
    if (isIP(host) === 0 || port === 0) return null;
    addresses.push({ id, host, port });
  }
  return o === b.length ? { type: "addresses", addresses } : null;
}
