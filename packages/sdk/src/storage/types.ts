import type { FileProof, FileProofJSON } from "@zerog/core/merkle";
import type { Hex } from "viem";

/** `zgs_getStatus`. */
export interface NodeStatus {
  connectedPeers: number;
  logSyncHeight: number;
  logSyncBlock: Hex;
  nextTxSeq: number;
  networkIdentity: { chainId: number; flowAddress: Hex; p2pProtocolVersion?: { major: number; minor: number; build: number } };
}

/** `zgs_getShardConfig`: the node stores flow segment `i` iff `i % numShard == shardId`. */
export interface ShardConfig {
  shardId: number;
  numShard: number;
}

/** The node's view of a Flow submission (`FileInfo.tx`). */
export interface NodeTransaction {
  streamIds: unknown[];
  data: unknown[];
  dataMerkleRoot: Hex;
  /** `[height + 1, root]` per submission node. */
  merkleNodes: [number, Hex][];
  startEntryIndex: number;
  size: number;
  seq: number;
}

/** `zgs_getFileInfo` / `zgs_getFileInfoByTxSeq`. */
export interface FileInfo {
  tx: NodeTransaction;
  finalized: boolean;
  isCached: boolean;
  uploadedSegNum: number;
  pruned?: boolean;
}

/** A segment with its proof as it travels: base64 data, hex lemma. */
export interface SegmentWithProofJSON {
  root: Hex;
  data: string;
  index: number;
  proof: FileProofJSON;
  fileSize: number;
}

/** A segment with its proof, decoded. `data` holds data chunks only (the last chunk zero-padded to 256 bytes). */
export interface SegmentWithProof {
  root: Hex;
  data: Uint8Array;
  index: number;
  proof: FileProof;
  fileSize: number;
}

/** Where bytes come from: a file, a Blob, memory. Reads never past `size`. */
export interface DataSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Where downloaded, verified bytes go, in order. */
export interface DataSink {
  /**
   * Takes the next bytes. The memory is the downloader's again once this returns (or its promise resolves): copy what
   * is kept beyond that, as `createMemorySink` does (like Go's `io.Writer`, which must not retain its slice).
   */
  write(bytes: Uint8Array): Promise<void> | void;
}
