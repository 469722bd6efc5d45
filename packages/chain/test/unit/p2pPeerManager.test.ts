import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { createSilentLogger, Metrics } from "@zerog/core";
import { afterEach, describe, expect, it } from "vitest";
import { ByteQueue } from "../../src/p2p/byteQueue.js";
import { RECORD_HEADER } from "../../src/p2p/frameWriter.js";
import { runHandshake } from "../../src/p2p/handshake.js";
import {
  Channel,
  generateNodeKey,
  nodeIdFromKey,
  P2PErrorCode,
  PeerManager,
  type PeerManagerOptions,
  Verdict,
} from "../../src/p2p/index.js";
import { keyPairFromSecret } from "../../src/p2p/nodeKey.js";
import type { CipherState } from "../../src/p2p/noise.js";

const NETWORK = "p2p-test";
const running: PeerManager[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(running.splice(0).map((n) => n.stop()));
});

interface TestNode {
  pm: PeerManager;
  key: Uint8Array;
  /** Messages received, per channel. */
  inbox: Map<number, { from: string; data: Uint8Array }[]>;
  events: { id: string; status: string }[];
}

async function startNode(
  opts: Partial<PeerManagerOptions> = {},
  key = generateNodeKey(),
  metrics: Metrics | null = null,
): Promise<TestNode> {
  const pm = new PeerManager(
    { listen: { host: "127.0.0.1", port: 0 }, networkId: NETWORK, reconnectBaseMs: 20, reconnectMaxMs: 200, ...opts },
    { logger: createSilentLogger(), metrics, nodeKey: key },
  );
  const node: TestNode = { pm, key, inbox: new Map(), events: [] };
  for (let ch = 1; ch <= 7; ch++) {
    pm.onMessage(ch, (from, data) => {
      const list = node.inbox.get(ch) ?? [];
      list.push({ from, data: new Uint8Array(data) });
      node.inbox.set(ch, list);
    });
  }
  pm.onPeer((id, status) => node.events.push({ id, status }));
  await pm.start();
  running.push(pm);
  return node;
}

/** Resolves when `check` holds (polled every 5 ms: the conditions span several nodes and sockets). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const connectedTo = (n: TestNode, id: string) => n.pm.peers().some((p) => p.id === id);

/** Two connected nodes, the first with metrics. */
async function meteredPair(): Promise<{ metrics: Metrics; a: TestNode; b: TestNode }> {
  const metrics = new Metrics({ defaultMetrics: false });
  const a = await startNode({}, generateNodeKey(), metrics);
  const b = await startNode();
  await a.pm.connect(b.pm.address);
  await until(() => connectedTo(b, a.pm.id), "b to see a");
  return { metrics, a, b };
}
const received = (n: TestNode, ch: number) => n.inbox.get(ch) ?? [];

/** A hand-driven peer: real handshake, then raw frames (to send what PeerManager never would). */
async function rawPeer(target: PeerManager, key = generateNodeKey(), read = true) {
  const { host, port } = target.listenAddress;
  const socket = connect({ host, port });
  sockets.push(socket);
  socket.on("error", () => {});
  await once(socket, "connect");
  const r = await runHandshake(socket, new ByteQueue(), {
    initiator: true,
    staticKey: keyPairFromSecret(key),
    prologue: Buffer.from(`zerog-p2p/1/${NETWORK}`),
    listenPort: 0,
    expectedId: target.id,
    timeoutMs: 2_000,
  });
  const closed = once(socket, "close");
  // Reading also lets the socket see the other end close it; a peer that never reads does not.
  if (read) socket.resume();
  return { socket, id: nodeIdFromKey(key), send: r.send as CipherState, closed };
}

function sealedFrame(cipher: CipherState, channel: number, data: Uint8Array): Buffer {
  const record = Buffer.alloc(RECORD_HEADER + data.length);
  record[0] = channel;
  record.writeUInt32BE(data.length, 1);
  record.set(data, RECORD_HEADER);
  const { ciphertext, tag } = cipher.encrypt(record);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(ciphertext.length + tag.length);
  return Buffer.concat([header, ciphertext, tag]);
}

describe("PeerManager: handshake and identity", () => {
  it("connects, authenticates both ids and refuses a peer that is not the one dialled", async () => {
    const a = await startNode();
    const b = await startNode();
    const c = await startNode();
    expect(a.pm.address).toMatch(/^[0-9a-f]{64}@127\.0\.0\.1:\d+$/);
    expect(await a.pm.connect(b.pm.address)).toBe(b.pm.id);
    await until(() => connectedTo(b, a.pm.id), "b to see a");
    expect(a.pm.peers()).toEqual([{ id: b.pm.id, score: 0, outbound: true, address: b.pm.address }]);
    // a announced its listen port in the handshake, so b knows where a can be dialled.
    expect(b.pm.peers()).toEqual([{ id: a.pm.id, score: 0, outbound: false, address: a.pm.address }]);

    // c's id at b's address: the handshake stops before a reveals itself, and b admits no one.
    const wrong = `${c.pm.id}@127.0.0.1:${b.pm.listenAddress.port}`;
    await expect(a.pm.connect(wrong)).rejects.toMatchObject({ code: P2PErrorCode.PEER_ID_MISMATCH });
    expect(b.pm.peers()).toHaveLength(1);
    expect(c.pm.peers()).toHaveLength(0);
  });

  it("fails the handshake across networks and refuses to dial itself", async () => {
    const a = await startNode();
    const other = await startNode({ networkId: "another-network" });
    await expect(a.pm.connect(other.pm.address)).rejects.toMatchObject({ code: P2PErrorCode.HANDSHAKE_FAILED });
    await expect(a.pm.connect(a.pm.address)).rejects.toMatchObject({ code: P2PErrorCode.PEER_REFUSED });
    expect(a.pm.peers()).toHaveLength(0);
    expect(other.pm.peers()).toHaveLength(0);
  });
});

describe("PeerManager: messages", () => {
  it("carries messages both ways on every channel, up to large block parts, in order", async () => {
    const a = await startNode();
    const b = await startNode();
    await a.pm.connect(b.pm.address);
    await until(() => connectedTo(b, a.pm.id), "b to see a");
    const big = Buffer.alloc(1024 * 1024, "zerog block part");
    for (let ch = 1; ch <= 7; ch++) {
      expect(a.pm.send(b.pm.id, ch, Uint8Array.of(ch, 1))).toBe(true);
      expect(b.pm.send(a.pm.id, ch, Uint8Array.of(ch, 2))).toBe(true);
    }
    a.pm.send(b.pm.id, Channel.BLOCK_PART, big);
    a.pm.send(b.pm.id, Channel.BLOCK_PART, new Uint8Array(0));
    await until(() => received(b, Channel.BLOCK_PART).length === 3 && received(a, Channel.SYNC_RESPONSE).length === 1, "delivery");
    for (let ch = 1; ch <= 7; ch++) {
      expect(received(b, ch)[0]).toEqual({ from: a.pm.id, data: Uint8Array.of(ch, 1) });
      expect(received(a, ch)[0]).toEqual({ from: b.pm.id, data: Uint8Array.of(ch, 2) });
    }
    expect(Buffer.from(received(b, Channel.BLOCK_PART)[1]!.data).equals(big)).toBe(true);
    expect(received(b, Channel.BLOCK_PART)[2]!.data).toHaveLength(0);

    expect(a.pm.send("00".repeat(32), Channel.VOTE, Uint8Array.of(1))).toBe(false);
    expect(() => a.pm.send(b.pm.id, 0, Uint8Array.of(1))).toThrow(expect.objectContaining({ code: P2PErrorCode.INVALID_CHANNEL }));
    expect(() => a.pm.send(b.pm.id, 1, new Uint8Array(4 * 1024 * 1024))).toThrow(
      expect.objectContaining({ code: P2PErrorCode.MESSAGE_TOO_LARGE }),
    );
  });

  it("broadcasts to every peer but the excepted one", async () => {
    const hub = await startNode();
    const leaves = await Promise.all([startNode(), startNode(), startNode()]);
    for (const l of leaves) await l.pm.connect(hub.pm.address);
    await until(() => hub.pm.peers().length === 3, "hub to see 3 peers");
    expect(hub.pm.broadcast(Channel.VOTE, Uint8Array.of(9))).toBe(3);
    expect(hub.pm.broadcast(Channel.PROPOSAL, Uint8Array.of(8), leaves[0]!.pm.id)).toBe(2);
    await until(() => leaves.every((l) => received(l, Channel.VOTE).length === 1), "votes");
    await until(
      () => received(leaves[2]!, Channel.PROPOSAL).length === 1 && received(leaves[1]!, Channel.PROPOSAL).length === 1,
      "proposals",
    );
    expect(received(leaves[0]!, Channel.PROPOSAL)).toHaveLength(0);
  });

  it("counts peers, bytes and messages in the metrics", async () => {
    const { metrics, a, b } = await meteredPair();
    b.pm.send(a.pm.id, Channel.TX, Uint8Array.of(1, 2, 3));
    await until(() => received(a, Channel.TX).length === 1, "tx");
    const text = (await metrics.render()).body;
    expect(text).toMatch(/zg_p2p_peers 1/);
    expect(text).toMatch(/zg_p2p_messages_total\{channel="tx",direction="in"\} 1/);
    expect(text).toMatch(/zg_p2p_bytes_total\{direction="in"\} [1-9]/);
  });
});

describe("PeerManager: flush", () => {
  it("writes queued messages at flush(), not only when the event loop turns", async () => {
    const { metrics, a, b } = await meteredPair();
    // Rendering the metrics awaits only promises (microtasks): the writer's end-of-turn write cannot run meanwhile.
    const bytesOut = async () => Number((await metrics.render()).body.match(/zg_p2p_bytes_total\{direction="out"\} (\d+)/)?.[1] ?? 0);
    const before = await bytesOut();
    expect(a.pm.broadcast(Channel.VOTE, Uint8Array.of(7, 7))).toBe(1);
    expect(await bytesOut()).toBe(before); // queued, to share a frame with what else this turn sends
    a.pm.flush();
    expect(await bytesOut()).toBeGreaterThan(before);
    await until(() => received(b, Channel.VOTE).length === 1, "the vote");
    expect(received(b, Channel.VOTE)[0]!.data).toEqual(Uint8Array.of(7, 7));
  });
});

describe("PeerManager: topology", () => {
  it("reconnects to a persistent peer after it restarts", async () => {
    const bKey = generateNodeKey();
    let b = await startNode({}, bKey);
    const port = b.pm.listenAddress.port;
    const a = await startNode({ persistentPeers: [b.pm.address] });
    await until(() => connectedTo(a, b.pm.id), "first connection");
    await b.pm.stop();
    await until(() => a.events.some((e) => e.status === "disconnected"), "a to notice");
    b = await startNode({ listen: { host: "127.0.0.1", port } }, bKey);
    await until(() => connectedTo(a, b.pm.id) && connectedTo(b, a.pm.id), "reconnection");
    a.pm.send(b.pm.id, Channel.VOTE, Uint8Array.of(1));
    await until(() => received(b, Channel.VOTE).length === 1, "vote after reconnect");
    expect(a.events.map((e) => e.status)).toEqual(["connected", "disconnected", "connected"]);
  });

  it("keeps one connection when both ends dial each other", async () => {
    const a = await startNode();
    const b = await startNode();
    await a.pm.connect(b.pm.address);
    await b.pm.connect(a.pm.address);
    await until(() => connectedTo(a, b.pm.id) && connectedTo(b, a.pm.id), "connection");
    // Same rule on both ends: the connection dialled by the lower id survives.
    const aDials = a.pm.id < b.pm.id;
    await until(() => a.pm.peers()[0]?.outbound === aDials && b.pm.peers()[0]?.outbound === !aDials, "the surviving connection");
    a.pm.send(b.pm.id, Channel.VOTE, Uint8Array.of(1));
    b.pm.send(a.pm.id, Channel.VOTE, Uint8Array.of(2));
    await until(() => received(a, Channel.VOTE).length === 1 && received(b, Channel.VOTE).length === 1, "votes");
    expect(a.pm.peers()).toHaveLength(1);
    expect(b.pm.peers()).toHaveLength(1);
    // The replaced connection was drained and closed without either end seeing the peer go away.
    expect(a.events).toEqual([{ id: b.pm.id, status: "connected" }]);
    expect(b.events).toEqual([{ id: a.pm.id, status: "connected" }]);
  });

  it("settles on one connection when two persistent peers start dialling at once", async () => {
    const [ka, kb] = [generateNodeKey(), generateNodeKey()];
    const probeA = await startNode({}, ka);
    const probeB = await startNode({}, kb);
    const [addrA, addrB] = [probeA.pm.address, probeB.pm.address];
    await Promise.all([probeA.pm.stop(), probeB.pm.stop()]);
    const listen = (addr: string) => ({ host: "127.0.0.1", port: Number(addr.split(":")[1]) });
    const [a, b] = await Promise.all([
      startNode({ listen: listen(addrA), persistentPeers: [addrB] }, ka),
      startNode({ listen: listen(addrB), persistentPeers: [addrA] }, kb),
    ]);
    await until(() => a.pm.peers().length === 1 && b.pm.peers().length === 1, "connection");
    await until(() => a.pm.peers()[0]!.outbound !== b.pm.peers()[0]!.outbound, "one connection");
    b.pm.send(a.pm.id, Channel.EVIDENCE, Uint8Array.of(5));
    await until(() => received(a, Channel.EVIDENCE).length === 1, "evidence");
    expect(a.events.map((e) => e.status)).toEqual(["connected"]);
    expect(b.events.map((e) => e.status)).toEqual(["connected"]);
  });

  it("discovers a third peer through a seed (PEX)", async () => {
    const seed = await startNode({ pexIntervalMs: 100 });
    const a = await startNode({ seeds: [seed.pm.address], pexIntervalMs: 100 });
    const c = await startNode({ seeds: [seed.pm.address], pexIntervalMs: 100 });
    await until(() => connectedTo(a, c.pm.id) && connectedTo(c, a.pm.id), "a and c to find each other");
    expect(seed.pm.peers()).toHaveLength(2);
  });

  it("stops admitting peers at maxPeers", async () => {
    const a = await startNode({ maxPeers: 1 });
    const b = await startNode();
    const c = await startNode();
    await b.pm.connect(a.pm.address);
    await until(() => a.pm.peers().length === 1, "first peer");
    // c completes its side of the handshake, then a closes the connection.
    await c.pm.connect(a.pm.address);
    await until(() => c.events.some((e) => e.status === "disconnected"), "c refused");
    expect(a.pm.peers().map((p) => p.id)).toEqual([b.pm.id]);
  });
});

describe("PeerManager: faults", () => {
  it("scores REJECT verdicts down and bans the sender below the threshold", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const b = await startNode({ rejectPenalty: 30, banThreshold: -100 }, generateNodeKey(), metrics);
    b.pm.onMessage(Channel.VOTE, () => Verdict.REJECT);
    b.pm.onMessage(Channel.TX, () => Verdict.ACCEPT);
    const a = await startNode({ persistentPeers: [b.pm.address] });
    await until(() => connectedTo(b, a.pm.id), "connection");
    a.pm.send(b.pm.id, Channel.TX, Uint8Array.of(1));
    a.pm.send(b.pm.id, Channel.VOTE, Uint8Array.of(1));
    await until(() => b.pm.peers()[0]?.score === -29, "score after one accept and one reject");
    for (let i = 0; i < 3; i++) a.pm.send(b.pm.id, Channel.VOTE, Uint8Array.of(1));
    await until(() => a.events.some((e) => e.status === "disconnected"), "ban");
    expect(b.pm.peers()).toHaveLength(0);
    // b is persistent for a, so a redials; b refuses every attempt while the ban lasts.
    await until(async () => (await counter(metrics, "zg_p2p_rejected_total", { reason: "banned" })) >= 2, "a redial refused");
    expect(b.pm.peers()).toHaveLength(0);
    expect(b.events.map((e) => e.status)).toEqual(["connected", "disconnected"]);
  });

  it("drops garbage bytes and silent sockets without crashing", async () => {
    const b = await startNode({ handshakeTimeoutMs: 200 });
    const a = await startNode();
    await a.pm.connect(b.pm.address);
    const { port } = b.pm.listenAddress;

    const garbage = connect({ host: "127.0.0.1", port });
    sockets.push(garbage);
    garbage.on("error", () => {});
    await once(garbage, "connect");
    garbage.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const tiny = connect({ host: "127.0.0.1", port });
    sockets.push(tiny);
    tiny.on("error", () => {});
    await once(tiny, "connect");
    tiny.write(Buffer.from([0, 31, ...new Uint8Array(31)])); // a truncated first message
    const silent = connect({ host: "127.0.0.1", port });
    sockets.push(silent);
    silent.on("error", () => {});
    await once(silent, "connect");
    await Promise.all([once(garbage, "close"), once(tiny, "close"), once(silent, "close")]);

    a.pm.send(b.pm.id, Channel.VOTE, Uint8Array.of(1));
    await until(() => received(b, Channel.VOTE).length === 1, "b still serves a");
    expect(b.pm.peers()).toHaveLength(1);
  });

  it("bans an authenticated peer that sends an oversized, forged or malformed frame", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const b = await startNode({ maxFrameBytes: 64 * 1024 }, generateNodeKey(), metrics);
    const oversized = await rawPeer(b.pm);
    await until(() => connectedTo(b, oversized.id), "raw peer admitted");
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 * 1024 + 17);
    oversized.socket.write(header);
    await oversized.closed;

    const forged = await rawPeer(b.pm);
    const frame = sealedFrame(forged.send, Channel.VOTE, Uint8Array.of(1, 2, 3));
    frame[frame.length - 1]! ^= 0xff;
    forged.socket.write(frame);
    await forged.closed;

    // A record whose length runs past the end of its frame.
    const malformed = await rawPeer(b.pm);
    const { ciphertext, tag } = malformed.send.encrypt(Buffer.from([4, 0, 0, 0, 9, 1]));
    const h = Buffer.alloc(4);
    h.writeUInt32BE(ciphertext.length + tag.length);
    malformed.socket.write(Buffer.concat([h, ciphertext, tag]));
    await malformed.closed;

    expect(b.pm.peers()).toHaveLength(0);
    for (const reason of ["frame_size", "decrypt", "malformed_frame"]) {
      expect(await counter(metrics, "zg_p2p_rejected_total", { reason })).toBe(1);
    }
    expect(await counter(metrics, "zg_p2p_rejected_total", { reason: "banned" })).toBe(3);
  });

  it("refuses a banned identity on reconnect", async () => {
    const b = await startNode({ maxFrameBytes: 64 * 1024 });
    const key = generateNodeKey();
    const first = await rawPeer(b.pm, key);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff);
    first.socket.write(header);
    await first.closed;
    const second = await rawPeer(b.pm, key);
    await second.closed;
    expect(b.pm.peers()).toHaveLength(0);
  });

  it("drops a peer that does not read (slow consumer)", async () => {
    const a = await startNode({ maxSendQueueBytes: 1024 * 1024 });
    const slow = await rawPeer(a.pm, generateNodeKey(), false);
    await until(() => connectedTo(a, slow.id), "raw peer admitted");
    const part = new Uint8Array(64 * 1024);
    let sent = 0;
    while (a.pm.send(slow.id, Channel.BLOCK_PART, part)) {
      sent++;
      if (sent % 8 === 0) await new Promise((r) => setImmediate(r));
      if (sent > 10_000) throw new Error("never dropped");
    }
    await until(() => !connectedTo(a, slow.id), "slow peer dropped");
  });

  it("partitions and heals with setBlocked", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const a = await startNode({}, generateNodeKey(), metrics);
    const b = await startNode();
    await a.pm.connect(b.pm.address);
    await until(() => connectedTo(b, a.pm.id), "connection");
    a.pm.setBlocked(b.pm.id, true);
    const bytesIn = await counter(metrics, "zg_p2p_bytes_total", { direction: "in" });
    expect(a.pm.send(b.pm.id, Channel.VOTE, Uint8Array.of(1))).toBe(true);
    b.pm.send(a.pm.id, Channel.VOTE, Uint8Array.of(2));
    // b's vote reaches a's socket (a's byte count moves) and is dropped there.
    await until(async () => (await counter(metrics, "zg_p2p_bytes_total", { direction: "in" })) > bytesIn, "b's frame at a");
    expect(received(a, Channel.VOTE)).toHaveLength(0);
    expect(connectedTo(a, b.pm.id) && connectedTo(b, a.pm.id)).toBe(true);

    a.pm.setBlocked(b.pm.id, false);
    a.pm.send(b.pm.id, Channel.VOTE, Uint8Array.of(4));
    b.pm.send(a.pm.id, Channel.VOTE, Uint8Array.of(5));
    await until(() => received(a, Channel.VOTE).length === 1 && received(b, Channel.VOTE).length === 1, "healed");
    // Ordered per connection: nothing sent during the partition arrives after it.
    expect(received(b, Channel.VOTE).map((m) => m.data[0])).toEqual([4]);
    expect(received(a, Channel.VOTE).map((m) => m.data[0])).toEqual([5]);
  });

  it("stop() closes every connection, pending handshake and the listener", async () => {
    const a = await startNode();
    const b = await startNode();
    const c = await startNode();
    await b.pm.connect(a.pm.address);
    await c.pm.connect(a.pm.address);
    await until(() => a.pm.peers().length === 2, "two peers");
    const pendingSocket = connect({ host: "127.0.0.1", port: a.pm.listenAddress.port });
    sockets.push(pendingSocket);
    pendingSocket.on("error", () => {});
    await once(pendingSocket, "connect");
    const pendingClosed = once(pendingSocket, "close");
    await a.pm.stop();
    expect(a.pm.peers()).toHaveLength(0);
    await pendingClosed;
    // (b and c found each other through a's PEX, so they are not alone.)
    await until(() => !connectedTo(b, a.pm.id) && !connectedTo(c, a.pm.id), "b and c to notice");
    await expect(b.pm.connect(a.pm.address)).rejects.toMatchObject({ code: P2PErrorCode.HANDSHAKE_FAILED });
  });
});

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return hit?.value ?? 0;
}
