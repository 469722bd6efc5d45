import { ZgError } from "@zerog/core";

/** Failures of the p2p layer: configuration, the Noise handshake, and peers that break the wire protocol. */
export enum P2PErrorCode {
  /** A peer address is not `id@host:port` with a 64-hex-digit id. */
  INVALID_ADDRESS = "P2P_INVALID_ADDRESS",
  /** The node key is not a 32-byte X25519 secret. */
  INVALID_NODE_KEY = "P2P_INVALID_NODE_KEY",
  /** A channel outside 1..255 (0 is the transport's own). */
  INVALID_CHANNEL = "P2P_INVALID_CHANNEL",
  /** A message larger than one frame can carry. */
  MESSAGE_TOO_LARGE = "P2P_MESSAGE_TOO_LARGE",
  /** The Noise handshake failed: bad bytes, a failed decryption, a wrong prologue (network) or a closed socket. */
  HANDSHAKE_FAILED = "P2P_HANDSHAKE_FAILED",
  /** The handshake did not finish in time. */
  HANDSHAKE_TIMEOUT = "P2P_HANDSHAKE_TIMEOUT",
  /** The dialled peer authenticated as another node. */
  PEER_ID_MISMATCH = "P2P_PEER_ID_MISMATCH",
  /** The connection was authenticated but refused: ourselves, banned, blocked, or no room left. */
  PEER_REFUSED = "P2P_PEER_REFUSED",
  /** An authenticated peer sent a frame that is too large, does not decrypt or does not parse. */
  PROTOCOL_VIOLATION = "P2P_PROTOCOL_VIOLATION",
  /** `start()` could not bind the listen address. */
  LISTEN_FAILED = "P2P_LISTEN_FAILED",
}

export type P2PErrorType =
  | { code: P2PErrorCode.INVALID_ADDRESS; address: string; reason: string }
  | { code: P2PErrorCode.INVALID_NODE_KEY; length: number }
  | { code: P2PErrorCode.INVALID_CHANNEL; channel: number }
  | { code: P2PErrorCode.MESSAGE_TOO_LARGE; size: number; max: number }
  | { code: P2PErrorCode.HANDSHAKE_FAILED; reason: string }
  | { code: P2PErrorCode.HANDSHAKE_TIMEOUT; timeoutMs: number }
  | { code: P2PErrorCode.PEER_ID_MISMATCH; expected: string; actual: string }
  | { code: P2PErrorCode.PEER_REFUSED; id: string; reason: string }
  | { code: P2PErrorCode.PROTOCOL_VIOLATION; reason: string }
  | { code: P2PErrorCode.LISTEN_FAILED; host: string; port: number; reason: string };

export class P2PError extends ZgError<P2PErrorType> {}
