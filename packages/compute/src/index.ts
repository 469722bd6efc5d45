export { ComputeError, ComputeErrorCode, type ComputeErrorType } from "./errors.js";
// Session tokens, chat signatures and receipts: the codecs both sides of a request use (client/).
export {
  type CreateSessionTokenParameters,
  checkSessionToken,
  createSessionToken,
  EPHEMERAL_TOKEN_ID,
  MAX_EPHEMERAL_TOKEN_MS,
  type ParsedSessionToken,
  parseSessionToken,
  SESSION_TOKEN_PREFIX,
  type SessionToken,
  type SessionTokenReturnType,
  type TokenAccountState,
  type VerifySessionTokenParameters,
  verifySessionToken,
  verifySessionTokenSignature,
} from "./client/sessionToken.js";
export {
  chatSignatureText,
  chatSignatureTextOfHashes,
  type InferenceReceipt,
  type InferenceReceiptJSON,
  inferenceDomainSeparator,
  inferenceReceiptDigest,
  receiptFromJSON,
  receiptToJSON,
  recoverChatTextSigner,
  recoverInferenceReceiptSigner,
  recoverTeeSettlementSigner,
  requestsHashOf,
  signChatText,
  signInferenceReceipt,
  signTeeSettlement,
  type TEESettlement,
  teeSettlementDigest,
  verifyChatSignature,
} from "./client/chatSignature.js";
export { hashPersonalMessage, type MessageSigner, recoverDigestSigner, signatureFromHex, signDigest65 } from "./client/ecdsa.js";
export { type InferenceEip712Domain, inferenceEip712Domain } from "./client/inferenceTypedData.js";
// The provider broker (broker/): HTTP front, metering, durable usage, settlement, backends.
export * from "./broker/index.js";
