export { DEFAULT_FLOW_ADDRESS, fixedPriceAbi, flowAbi, flowSubmitNewAbi, flowSubmitOldAbi, type SubmitABI } from "./abi.js";
export { createBlobSource, createBytesSource, createMemorySink } from "./dataSource.js";
export { type DownloadFileParameters, type DownloadFileReturnType, type DownloadProgress, downloadFile } from "./downloadFile.js";
export { isTransientError, StorageClientError, StorageClientErrorCode, type StorageClientErrorType } from "./errors.js";
export { type GetFileInfoParameters, type GetFileInfoReturnType, getFileInfo, type NodeFileInfo } from "./getFileInfo.js";
export {
  fetchExchange,
  getDefaultHttpExchange,
  type HttpExchange,
  type HttpExchangeRequest,
  type HttpExchangeResponse,
  setDefaultHttpExchange,
} from "./httpExchange.js";
export { type RequestOptions, StorageNodeClient, type StorageNodeClientOptions } from "./nodeClient.js";
export type { RetryOptions } from "./retry.js";
export { getSubmissionFee, type SubmitFileParameters, type SubmitFileReturnType, submitFile } from "./submitFile.js";
export type {
  DataSink,
  DataSource,
  FileInfo,
  NodeStatus,
  NodeTransaction,
  SegmentWithProof,
  SegmentWithProofJSON,
  ShardConfig,
} from "./types.js";
export {
  hashSource,
  type UploadFileParameters,
  type UploadFileReturnType,
  type UploadPhase,
  type UploadProgress,
  uploadFile,
} from "./uploadFile.js";
