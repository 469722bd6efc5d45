import { isIP } from "node:net";
import { P2PError, P2PErrorCode } from "./errors.js";

/** A dialable peer: its node id (hex X25519 public key) and where it listens. */
export interface PeerAddress {
  id: string;
  host: string;
  port: number;
}

const ID_RE = /^[0-9a-f]{64}$/;

export function isNodeId(value: string): boolean {
  return ID_RE.test(value);
}

/** Parses `id@host:port` (IPv6 hosts in brackets: `id@[::1]:26656`). */
export function parsePeerAddress(address: string): PeerAddress {
  const fail = (reason: string) => new P2PError({ code: P2PErrorCode.INVALID_ADDRESS, address, reason }, `invalid peer address: ${reason}`);
  const at = address.indexOf("@");
  if (at < 0) throw fail("expected id@host:port");
  const id = address.slice(0, at).toLowerCase();
  if (!isNodeId(id)) throw fail("the id must be 64 hex digits (the node's X25519 public key)");
  const rest = address.slice(at + 1);
  const colon = rest.lastIndexOf(":");
  if (colon < 0) throw fail("missing :port");
  let host = rest.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const portText = rest.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) throw fail("port must be 1..65535");
  if (host.length === 0 || host.length > 253 || /[\s@/]/.test(host)) throw fail("bad host");
  return { id, host, port };
}

export function formatPeerAddress(a: PeerAddress): string {
  return `${a.id}@${isIP(a.host) === 6 ? `[${a.host}]` : a.host}:${a.port}`;
}

/** Short form of an id for debug logs. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) → `127.0.0.1`. */
export function normalizeHost(host: string): string {
  return host.startsWith("::ffff:") ? host.slice(7) : host;
}
