export { type DAContracts, RpcDAChain, type RpcDAChainOptions } from "./chain/rpcDAChain.js";
export { aggregateQuorumSignatures, type QuorumAggregate, SIGNED_SLOTS_NEEDED, type SignerSignature } from "./client/aggregate.js";
export { type BlobStatusReply, DisperserClient } from "./client/disperserClient.js";
export { type RetrieveBlobParameters, type RetrieveBlobReturnType, retrieveBlob } from "./client/retrieveBlob.js";
export {
  type SampleBlobParameters,
  type SampleBlobReturnType,
  type SampleResult,
  sampleBlob,
  samplesFor,
  samplingFailureBound,
} from "./client/sampleBlob.js";
export { type BlobRef, SignerClient } from "./client/signerClient.js";
export type { BlobRecord, BlobStage, BlobStatus, SignedTx } from "./disperser/blobRecord.js";
export { statusOf } from "./disperser/blobRecord.js";
export { Disperser, type DisperserDeps, type DisperserOptions, defaultDisperserOptions } from "./disperser/disperser.js";
export type { CommitRootSubmission, DisperserChain, ReceiptInfo, RegisteredSigner } from "./disperser/disperserChain.js";
export { DisperserNode, type DisperserNodeOptions, defaultDisperserNodeOptions } from "./disperser/disperserNode.js";
export { DISPERSER_ROUTES, registerDisperserRoutes } from "./disperser/disperserRoutes.js";
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
export { type BlobColumns, CELL_WITH_PROOF_BYTES, decodeBlobColumns, encodeBlobColumns } from "./signer/blobColumns.js";
export { blobKey, CellStore } from "./signer/cellStore.js";
export { checkSignRequest, type SignerChainView, slotsOf } from "./signer/checkSignRequest.js";
export { blobSignMessage, commitmentsHashOf } from "./signer/message.js";
export { type DASignerKey, daSignerKeyFromSecret, daSignerKeyFromSeed, signWithDASignerKey } from "./signer/signerKey.js";
export { DASignerNode, type DASignerNodeOptions, defaultDASignerNodeOptions } from "./signer/signerNode.js";
export {
  BLOB_COLUMNS_CONTENT_TYPE,
  MAX_SIGN_REQUEST_BYTES,
  registerSignerRoutes,
  SIGNER_ROUTES,
  type SignerRoutesDeps,
} from "./signer/signerRoutes.js";
