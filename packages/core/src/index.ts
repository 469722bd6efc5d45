import { installNativeMerkleBackend, installNativeSecp256k1 } from "./native/index.js";

export { type Address, addressToBytes, isAddress, toChecksumAddress } from "./address.js";
export {
  bigIntToBytes,
  bigIntToPaddedBytes,
  bytesToBigInt,
  bytesToHex,
  bytesToHexKey,
  bytesToNumber,
  bytesToUtf8,
  compareBytes,
  concatBytes,
  equalsBytes,
  type Hex,
  hexToBytes,
  isHex,
  numberToBytes,
  padLeft,
  toQuantity,
  utf8ToBytes,
} from "./bytes.js";
export { type BatchOp, type KVStore, prefixEnd, type RangeOptions, tableKey } from "./db/kvStore.js";
export { type Durability, LMDBStore, type LMDBStoreOptions, MemoryStore } from "./db/lmdbStore.js";
export { CoreError, CoreErrorCode, type CoreErrorType, isZgError, ZgError } from "./errors.js";
export { KECCAK256_EMPTY, KECCAK256_RLP_EMPTY, keccak256, keccak256Parts, sha256 } from "./hash.js";
// JSON-RPC 2.0 server and clients
export {
  defaultJsonRpcClientOptions,
  JsonRpcClient,
  type JsonRpcClientOptions,
  type RpcBatchResult,
  type RpcCall,
  type RpcCallOptions,
} from "./jsonrpc/client.js";
export type { RpcErrorMapper } from "./jsonrpc/dispatcher.js";
export {
  JsonRpcErrorCode,
  JsonRpcServerError,
  type JsonRpcServerErrorType,
  ParamError,
  type ParamErrorType,
  RPC_ERROR_CODES,
  RpcError,
  type RpcErrorObject,
  type RpcErrorType,
  RpcTransportError,
  type RpcTransportErrorType,
} from "./jsonrpc/errors.js";
export { LIFT_MIN_BYTES, RawJSONString } from "./jsonrpc/liftStrings.js";
export {
  BLOCK_TAGS,
  type BlockTag,
  type InferObject,
  type InferParam,
  type InferParams,
  type ParamSchema,
  p,
  parseParams,
  parseQuantity,
} from "./jsonrpc/params.js";
export { RawJSON } from "./jsonrpc/rawJSON.js";
export { defaultJsonRpcServerOptions, JsonRpcServer, type JsonRpcServerDeps, type JsonRpcServerOptions } from "./jsonrpc/server.js";
export type {
  HttpRouteHandler,
  HttpRouteOptions,
  HttpRouteRequest,
  HttpRouteResponse,
  JsonRpcId,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  MethodDefinition,
  RpcConnection,
  RpcContext,
  RpcHandler,
} from "./jsonrpc/types.js";
export {
  defaultWebSocketRpcClientOptions,
  type RpcSubscription,
  WebSocketRpcClient,
  type WebSocketRpcClientOptions,
} from "./jsonrpc/wsClient.js";
export { createLogger, createSilentLogger, defaultLoggerOptions, type Logger, type LoggerOptions, type LogLevel } from "./logger.js";
export * from "./merkle/index.js";
export { Counter, Gauge, Histogram, Metrics, Registry } from "./metrics.js";
export { lockDataDir, tryAcquirePidLock } from "./pidLock.js";
export { type RLPDecoded, type RLPInput, rlpDecode, rlpEncode, rlpListHeader } from "./rlp.js";
export {
  generatePrivateKey,
  isValidPrivateKey,
  privateKeyToAddressBytes,
  privateKeyToHex,
  privateKeyToPublicKey,
  publicKeyToAddressBytes,
  RECOVER_ITEM_BYTES,
  type RecoverableSignature,
  recoverAddressBatch,
  recoverAddressBytes,
  recoverPublicKey,
  SECP256K1_N,
  SECP256K1_N_DIV_2,
  signDigest,
} from "./secp256k1.js";
export { computeTrieRoot, EMPTY_TRIE_ROOT, MerklePatriciaTrie, type TrieCommit, type TrieNodeReader } from "./trie/mpt.js";
export { verifyTrieProof } from "./trie/proof.js";

// Node-only entry: hash segments with the native keccak addon and recover senders with the system-libsecp256k1 addon
// when they were built (each falls back silently: hash-wasm, the npm secp256k1 package).
installNativeMerkleBackend();
installNativeSecp256k1();
