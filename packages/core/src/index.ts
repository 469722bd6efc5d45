export { type Address, addressToBytes, isAddress, toChecksumAddress } from "./address.js";
export {
  bigIntToBytes,
  bigIntToPaddedBytes,
  bytesToBigInt,
  bytesToHex,
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
export { LMDBStore, type LMDBStoreOptions, MemoryStore } from "./db/lmdbStore.js";
export { CoreError, CoreErrorCode, type CoreErrorType, isZgError, ZgError } from "./errors.js";
export { KECCAK256_EMPTY, KECCAK256_RLP_EMPTY, keccak256, keccak256Parts, sha256 } from "./hash.js";
export { createLogger, createSilentLogger, type Logger, type LoggerOptions, type LogLevel, defaultLoggerOptions } from "./logger.js";
export { Counter, Gauge, Histogram, Metrics, Registry } from "./metrics.js";
export { type RLPDecoded, type RLPInput, rlpDecode, rlpEncode } from "./rlp.js";
export {
  generatePrivateKey,
  isValidPrivateKey,
  privateKeyToAddressBytes,
  privateKeyToHex,
  privateKeyToPublicKey,
  publicKeyToAddressBytes,
  type RecoverableSignature,
  recoverAddressBytes,
  recoverPublicKey,
  SECP256K1_N,
  SECP256K1_N_DIV_2,
  signDigest,
} from "./secp256k1.js";
export { computeTrieRoot, EMPTY_TRIE_ROOT, MerklePatriciaTrie, type TrieCommit, type TrieNodeReader } from "./trie/mpt.js";
export { verifyTrieProof } from "./trie/proof.js";
