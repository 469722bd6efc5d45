import { createSilentLogger } from "@zerog/core";
// The chain package's index does not export p2p yet; its built module is imported directly.
import { Channel, generateNodeKey, PeerManager } from "../../chain/dist/p2p/index.js";
import type { Link, Star } from "./p2pMeasure.js";

const NETWORK = "bench";

async function node(): Promise<PeerManager> {
  const pm = new PeerManager(
    { listen: { host: "127.0.0.1", port: 0 }, networkId: NETWORK, maxSendQueueBytes: 256 * 1024 * 1024 },
    { logger: createSilentLogger(), metrics: null, nodeKey: generateNodeKey() },
  );
  await pm.start();
  return pm;
}

function peerEvent(pm: PeerManager, id: string, status: "connected" | "disconnected"): Promise<void> {
  return new Promise((resolve) => {
    const off = pm.onPeer((peer, s) => {
      if (peer === id && s === status) {
        off();
        resolve();
      }
    });
  });
}

/** Our transport: PeerManager (TCP + Noise XX + ChaCha20-Poly1305 frames). */
export class LeanHarness {
  readonly name = "zerog PeerManager (TCP + Noise XX, node:crypto)";
  private readonly nodes: PeerManager[] = [];

  private async started(): Promise<PeerManager> {
    const pm = await node();
    this.nodes.push(pm);
    return pm;
  }

  /** ms from dial to a usable authenticated connection, fresh TCP connection each time. */
  async handshake(): Promise<() => Promise<number>> {
    const a = await this.started();
    const b = await this.started();
    return async () => {
      const t0 = performance.now();
      await a.connect(b.address);
      const ms = performance.now() - t0;
      const gone = peerEvent(b, a.id, "disconnected");
      if (b.peers().some((p) => p.id === a.id)) {
        a.disconnect(b.id);
        await gone;
      } else {
        await peerEvent(b, a.id, "connected");
        a.disconnect(b.id);
        await gone;
      }
      return ms;
    };
  }

  async link(): Promise<Link> {
    const a = await this.started();
    const b = await this.started();
    const bSeesA = peerEvent(b, a.id, "connected");
    await a.connect(b.address);
    await bSeesA;
    let answer: (() => void) | null = null;
    const link: Link = {
      send: (data) => {
        a.send(b.id, Channel.BLOCK_PART, data);
        return undefined;
      },
      onReceive: () => {},
      roundTrip: (data) =>
        new Promise<void>((resolve) => {
          answer = resolve;
          a.send(b.id, Channel.SYNC_REQUEST, data);
        }),
    };
    b.onMessage(Channel.BLOCK_PART, (_from, data) => link.onReceive(data));
    b.onMessage(Channel.SYNC_REQUEST, (from, data) => {
      b.send(from, Channel.SYNC_RESPONSE, data);
    });
    a.onMessage(Channel.SYNC_RESPONSE, () => {
      const r = answer;
      answer = null;
      r?.();
    });
    return link;
  }

  async star(leaves: number): Promise<Star> {
    const hub = await this.started();
    const star: Star = {
      leaves,
      onReceive: () => {},
      broadcast: (data) => {
        hub.broadcast(Channel.VOTE, data);
        return undefined;
      },
    };
    for (let i = 0; i < leaves; i++) {
      const leaf = await this.started();
      const seen = peerEvent(hub, leaf.id, "connected");
      await leaf.connect(hub.address);
      await seen;
      leaf.onMessage(Channel.VOTE, (_from, data) => star.onReceive(data));
    }
    return star;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.splice(0).map((n) => n.stop()));
  }
}
