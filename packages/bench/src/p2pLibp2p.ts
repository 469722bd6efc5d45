import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { gossipsub, type StrictNoSign, type StrictSign } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { FrameParser, frame, type Link, type Star } from "./p2pMeasure.js";

const PROTOCOL = "/zerog-bench/1.0.0";
const TOPIC = "zerog-bench";

type Signing = typeof StrictSign | typeof StrictNoSign;

async function plainNode(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // The default (5 inbound connections per second per host) would refuse the handshake loop.
    connectionManager: { inboundConnectionThreshold: 1_000_000 },
  });
}

async function gossipNode(signing: Signing) {
  return createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: signing, allowPublishToZeroTopicPeers: true, emitSelf: false }),
    },
  });
}

function sendOn(stream: Stream, data: Uint8Array): undefined | Promise<void> {
  return stream.send(frame(data)) ? undefined : stream.onDrain();
}

function onFrames(stream: Stream, f: (frame: Uint8Array) => void): void {
  const parser = new FrameParser(f);
  stream.addEventListener("message", (evt) => parser.push(evt.data.subarray()));
}

/** js-libp2p 3: tcp + noise + yamux, one stream per link; gossipsub for broadcast. */
export class Libp2pHarness {
  readonly name = "js-libp2p 3 (tcp + noise + yamux; gossipsub)";
  private readonly nodes: Libp2p[] = [];

  private async started<T extends Libp2p>(make: () => Promise<T>): Promise<T> {
    const n = await make();
    this.nodes.push(n);
    return n;
  }

  async handshake(): Promise<() => Promise<number>> {
    const a = await this.started(plainNode);
    const b = await this.started(plainNode);
    const target = b.getMultiaddrs()[0]!;
    return async () => {
      const t0 = performance.now();
      await a.dial(target);
      const ms = performance.now() - t0;
      await a.hangUp(b.peerId);
      return ms;
    };
  }

  async link(): Promise<Link> {
    const a = await this.started(plainNode);
    const b = await this.started(plainNode);
    let answer: (() => void) | null = null;
    const link: Link = { send: () => undefined, onReceive: () => {}, roundTrip: async () => {} };
    await b.handle(PROTOCOL, (stream) => {
      onFrames(stream, (f) => {
        // First byte: 1 = one-way, 2 = request (echoed back).
        if (f[0] === 2) void sendOn(stream, f);
        else link.onReceive(f);
      });
    });
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTOCOL);
    onFrames(stream, () => {
      const r = answer;
      answer = null;
      r?.();
    });
    link.send = (data) => {
      data[0] = 1;
      return sendOn(stream, data);
    };
    link.roundTrip = (data) =>
      new Promise<void>((resolve) => {
        answer = resolve;
        data[0] = 2;
        void sendOn(stream, data);
      });
    return link;
  }

  /** Gossipsub from a hub to `leaves` subscribers connected to it. */
  async star(leaves: number, signing: Signing): Promise<Star> {
    const hub = await this.started(() => gossipNode(signing));
    hub.services.pubsub.subscribe(TOPIC);
    const star: Star = {
      leaves,
      onReceive: () => {},
      broadcast: (data) => hub.services.pubsub.publish(TOPIC, data).then(() => undefined),
    };
    for (let i = 0; i < leaves; i++) {
      const leaf = await this.started(() => gossipNode(signing));
      leaf.services.pubsub.subscribe(TOPIC);
      leaf.services.pubsub.addEventListener("message", (evt) => star.onReceive(evt.detail.data));
      await leaf.dial(hub.getMultiaddrs()[0]!);
    }
    const deadline = Date.now() + 10_000;
    while (hub.services.pubsub.getSubscribers(TOPIC).length < leaves) {
      if (Date.now() > deadline) throw new Error("gossipsub subscriptions did not propagate");
      await new Promise((r) => setTimeout(r, 20));
    }
    return star;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.splice(0).map((n) => n.stop()));
  }
}
