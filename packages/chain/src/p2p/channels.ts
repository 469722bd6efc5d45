/**
 * Channels multiplexed over one encrypted connection per peer. The channel is one byte in front of
 * each message; 0 is reserved for the transport's own ping/pong.
 */
export const Channel = {
  TX: 1,
  PROPOSAL: 2,
  BLOCK_PART: 3,
  VOTE: 4,
  EVIDENCE: 5,
  SYNC_REQUEST: 6,
  SYNC_RESPONSE: 7,
  PEX: 8,
  PREVIEW: 9,
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

export const TX = Channel.TX;
export const PROPOSAL = Channel.PROPOSAL;
export const BLOCK_PART = Channel.BLOCK_PART;
export const VOTE = Channel.VOTE;
export const EVIDENCE = Channel.EVIDENCE;
export const SYNC_REQUEST = Channel.SYNC_REQUEST;
export const SYNC_RESPONSE = Channel.SYNC_RESPONSE;
export const PEX = Channel.PEX;
export const PREVIEW = Channel.PREVIEW;

/** The transport's own channel (ping/pong); never delivered to handlers. */
export const CONTROL_CHANNEL = 0;

/** Metric label of a channel number. */
export function channelName(channel: number): string {
  for (const [name, value] of Object.entries(Channel)) if (value === channel) return name.toLowerCase();
  return channel === CONTROL_CHANNEL ? "control" : `ch${channel}`;
}

/**
 * What a handler thinks of a message: ACCEPT (valid, relay-worthy), IGNORE (useless but not
 * malicious: duplicate, stale) or REJECT (invalid: lowers the sender's score, and a sender below
 * the ban threshold is disconnected and banned).
 */
export enum Verdict {
  ACCEPT = "ACCEPT",
  IGNORE = "IGNORE",
  REJECT = "REJECT",
}
