export { StorageError, StorageErrorCode, type StorageErrorType, UploadErrorText } from "./errors.js";
export { FlowDataStore } from "./flow/flowDataStore.js";
export { defaultLogStoreOptions, LogStore, type LogStoreOptions } from "./flow/logStore.js";
export { MetaStore } from "./flow/metaStore.js";
export {
  type SegmentWithProof,
  type SegmentWithProofJSON,
  segmentDataLength,
  segmentToJSON,
  segmentToRawJSON,
  validateSegment,
} from "./flow/segment.js";
export { flowSegmentOf, inShard, isValidShardConfig, type ShardConfig, shardDataSegments } from "./flow/shard.js";
export {
  type RawLog,
  SUBMIT_TOPIC0,
  submitEvent,
  submitLogToTransaction,
  type Transaction,
  transactionToJSON,
} from "./flow/transaction.js";
export { defaultStorageNodeOptions, StorageNode, type StorageNodeDeps, type StorageNodeOptions } from "./node.js";
export { SECTOR_SIZE, SECTORS_PER_SEGMENT, SEGMENT_BYTES } from "./params.js";
export { storageErrorMapper } from "./rpc/errors.js";
export { type BlockRef, type ChainReader, RpcChainReader } from "./sync/chainReader.js";
export { defaultFileSyncOptions, FileSync, type FileSyncInfo, type FileSyncOptions } from "./sync/fileSync.js";
export { defaultLogSyncOptions, LogSync, type LogSyncOptions, type LogSyncStatus } from "./sync/logSync.js";
