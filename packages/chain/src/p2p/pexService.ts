import { Verdict } from "./channels.js";
import type { PeerConnection } from "./connection.js";
import type { PeerAddress } from "./peerAddress.js";
import { decodePex, encodePexAddresses, encodePexRequest, MAX_PEX_ADDRESSES } from "./pex.js";

export interface PexServiceDeps {
  /** Requests from one peer closer together than half of this are ignored. */
  intervalMs: number;
  connections(): Iterable<PeerConnection>;
  send(id: string, data: Uint8Array): boolean;
  /** An address a peer told us about (not yet checked: the dial's handshake checks the id). */
  learn(address: PeerAddress): void;
  /** After a batch was learned. */
  learned(): void;
}

/**
 * Peer exchange: ask a peer for the addresses of its peers, answer the same question. Only answers
 * we asked for are taken, and answers are rate-limited per peer.
 */
export class PexService {
  private readonly requested = new Set<string>();
  private readonly served = new Map<string, number>();

  constructor(private readonly deps: PexServiceDeps) {}

  request(id: string): void {
    if (this.requested.has(id)) return;
    if (this.deps.send(id, encodePexRequest())) this.requested.add(id);
  }

  requestRandom(): void {
    const ids = [...this.deps.connections()].map((c) => c.id);
    const id = ids[Math.floor(Math.random() * ids.length)];
    if (id !== undefined) this.request(id);
  }

  handle(conn: PeerConnection, data: Uint8Array): Verdict {
    const msg = decodePex(data);
    if (!msg) return Verdict.REJECT;
    if (msg.type === "request") {
      const now = Date.now();
      if (now - (this.served.get(conn.id) ?? Number.NEGATIVE_INFINITY) < this.deps.intervalMs / 2) return Verdict.IGNORE;
      this.served.set(conn.id, now);
      this.deps.send(conn.id, encodePexAddresses(this.addressesFor(conn.id)));
      return Verdict.ACCEPT;
    }
    if (!this.requested.delete(conn.id)) return Verdict.IGNORE;
    for (const a of msg.addresses) this.deps.learn(a);
    this.deps.learned();
    return Verdict.ACCEPT;
  }

  forget(id: string): void {
    this.requested.delete(id);
    this.served.delete(id);
  }

  private addressesFor(requester: string): PeerAddress[] {
    const out: PeerAddress[] = [];
    for (const c of this.deps.connections()) {
      if (c.id !== requester && c.remoteListenPort > 0) out.push({ id: c.id, host: c.remoteHost, port: c.remoteListenPort });
    }
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out.slice(0, MAX_PEX_ADDRESSES);
  }
}
