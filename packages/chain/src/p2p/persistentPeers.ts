import type { PeerAddress } from "./peerAddress.js";

interface PersistentPeer {
  address: PeerAddress;
  attempts: number;
  timer: NodeJS.Timeout | null;
}

/** The peers to keep connected, each with its redial backoff. */
export class PersistentPeers {
  private readonly peers = new Map<string, PersistentPeer>();

  constructor(
    addresses: readonly PeerAddress[],
    private readonly opts: { reconnectBaseMs: number; reconnectMaxMs: number },
    private readonly redial: (address: PeerAddress) => void,
  ) {
    for (const address of addresses) this.peers.set(address.id, { address, attempts: 0, timer: null });
  }

  has(id: string): boolean {
    return this.peers.has(id);
  }

  addresses(): PeerAddress[] {
    return [...this.peers.values()].map((p) => p.address);
  }

  /** Connected: the next loss starts the backoff from the beginning. */
  connected(id: string): void {
    const p = this.peers.get(id);
    if (p) p.attempts = 0;
  }

  /** Redials after base·2^attempts (capped, ±25 % jitter) unless a redial is already pending. */
  schedule(id: string): void {
    const p = this.peers.get(id);
    if (!p || p.timer) return;
    const backoff = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectBaseMs * 2 ** Math.min(p.attempts, 20));
    p.attempts++;
    // Jitter keeps restarted validators from redialling each other in lockstep.
    p.timer = setTimeout(
      () => {
        p.timer = null;
        this.redial(p.address);
      },
      backoff * (0.75 + Math.random() * 0.5),
    );
    p.timer.unref();
  }

  cancelAll(): void {
    for (const p of this.peers.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.timer = null;
    }
  }
}
