export {
  BLOCK_PART,
  Channel,
  CONTROL_CHANNEL,
  channelName,
  EVIDENCE,
  PEX,
  PROPOSAL,
  SYNC_REQUEST,
  SYNC_RESPONSE,
  TX,
  Verdict,
  VOTE,
} from "./channels.js";
export { P2PError, P2PErrorCode, type P2PErrorType } from "./errors.js";
export { generateNodeKey, NODE_KEY_LENGTH, nodeIdFromKey } from "./nodeKey.js";
export { formatPeerAddress, isNodeId, type PeerAddress, parsePeerAddress } from "./peerAddress.js";
export { PeerManager } from "./peerManager.js";
export {
  defaultPeerManagerOptions,
  type MessageHandler,
  type PeerInfo,
  type PeerListener,
  type PeerManagerDeps,
  type PeerManagerOptions,
} from "./peerManagerOptions.js";
