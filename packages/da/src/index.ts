export { dataRootOf } from "./encoder/dataRoot.js";
export {
  type CellWithProof,
  decodeBlob,
  type EncodedBlob,
  type EncodedRow,
  encodeBlob,
  encodeRow,
  recoverRow,
  rowFromCells,
  verifyCells,
} from "./encoder/encodeBlob.js";
export { defaultEncoderPoolOptions, EncoderPool, type EncoderPoolOptions } from "./encoder/encoderPool.js";
export { DEFAULT_KZG_PRECOMPUTE, type KZG, loadKZG } from "./encoder/kzg.js";
export { blobToRows, checkBlobSize, rowCount, rowsToBlob } from "./encoder/layout.js";
export * from "./encoder/params.js";
export { DaError, DaErrorCode, type DaErrorType } from "./errors.js";
