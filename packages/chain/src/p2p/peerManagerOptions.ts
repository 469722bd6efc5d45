import type { Logger, Metrics } from "@zerog/core";
import type { Verdict } from "./channels.js";

export interface PeerManagerOptions {
  /** Where to accept connections; port 0 picks a free port (see `address` after `start()`). */
  listen: { host: string; port: number };
  /** Mixed into the Noise prologue: nodes of different networks fail the handshake. */
  networkId: string;
  /** `id@host:port` peers kept connected: redialled with exponential backoff, exempt from `maxPeers`. */
  persistentPeers: string[];
  /** `id@host:port` peers dialled to learn addresses (PEX) when we have too few peers. */
  seeds: string[];
  maxPeers: number;
  /** Inbound connections still in their handshake; more are closed at once. */
  maxPendingHandshakes: number;
  /** Connect plus Noise handshake. */
  handshakeTimeoutMs: number;
  /** Largest frame (and so message) in either direction; a peer sending a larger one is banned. */
  maxFrameBytes: number;
  /** Bytes queued for one peer beyond which it is dropped as a slow consumer. */
  maxSendQueueBytes: number;
  /** A keepalive goes out on a connection idle for this long... */
  keepaliveIntervalMs: number;
  /** ...and a connection silent for this long is closed. */
  idleTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** How often to top up peers from the address book and ask a peer for more addresses. */
  pexIntervalMs: number;
  maxAddresses: number;
  /** Score change per ACCEPT / REJECT verdict; a peer at or below `banThreshold` is banned. */
  acceptReward: number;
  rejectPenalty: number;
  maxScore: number;
  banThreshold: number;
  banDurationMs: number;
}

export const defaultPeerManagerOptions: PeerManagerOptions = {
  listen: { host: "127.0.0.1", port: 26656 },
  networkId: "zerog-devnet",
  persistentPeers: [],
  seeds: [],
  maxPeers: 50,
  maxPendingHandshakes: 32,
  handshakeTimeoutMs: 5_000,
  maxFrameBytes: 4 * 1024 * 1024,
  maxSendQueueBytes: 16 * 1024 * 1024,
  keepaliveIntervalMs: 5_000,
  idleTimeoutMs: 30_000,
  reconnectBaseMs: 250,
  reconnectMaxMs: 30_000,
  pexIntervalMs: 10_000,
  maxAddresses: 1_000,
  acceptReward: 1,
  rejectPenalty: 20,
  maxScore: 20,
  banThreshold: -100,
  banDurationMs: 10 * 60_000,
};

export interface PeerManagerDeps {
  /** Used as is: the composition root makes the `{module: "p2p"}` child. */
  logger: Logger;
  metrics: Metrics | null;
  /** 32-byte X25519 secret: the Noise static key, whose public key is the node id. */
  nodeKey: Uint8Array;
  signal?: AbortSignal;
}

/** A handler's verdict on one message; nothing returned counts as IGNORE. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets a handler that never returns a verdict type-check.
export type MessageHandler = (from: string, data: Uint8Array) => Verdict | void;
export type PeerListener = (id: string, status: "connected" | "disconnected") => void;

export interface PeerInfo {
  id: string;
  score: number;
  outbound: boolean;
  /** `id@host:port` where the peer listens, when it announced a port. */
  address: string | null;
}
