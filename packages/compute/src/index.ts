export type { BackendModel, BackendRequest, BackendResponse, InferenceRoute, ModelBackend, Usage } from "./backend.js";
// The provider broker (broker/): HTTP front, metering, durable usage, settlement, backends.
export * from "./broker/index.js";
// The user side over the chain and a provider (client/): ledger and sub-accounts, services, asking, the journal.
export { type AskParameters, type AskReturnType, askProvider } from "./client/askProvider.js";
export { type AskServiceParameters, type AskServiceReturnType, askService, fetchSignature } from "./client/askService.js";
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
export { type AnswerCheck, type AnswerCheckParameters, checkAnswer, type SignaturePayload } from "./client/checkAnswer.js";
export {
  ComputeChain,
  type ComputeChainOptions,
  type ComputeContracts,
  type Ledger,
  revertName,
  type Service,
  type SubAccount,
} from "./client/computeChain.js";
export { hashPersonalMessage, type MessageSigner, recoverDigestSigner, signatureFromHex, signDigest65 } from "./client/ecdsa.js";
export { type InferenceEip712Domain, inferenceEip712Domain } from "./client/inferenceTypedData.js";
export { type JournalRecord, RequestJournal } from "./client/requestJournal.js";
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
export { ComputeError, ComputeErrorCode, type ComputeErrorType } from "./errors.js";
// The built-in deterministic model (runtime/; internals such as the tables and the sampler: "./runtime/index.js").
export {
  type ChatMessage,
  type CompletionComparison,
  type CompletionContent,
  chatPromptTokens,
  compareCompletion,
  completionContent,
  completionPromptTokens,
  createModelFromBytes,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MODELS_DIR,
  decodeWeights,
  defaultRuntimeBackendOptions,
  encodeWeights,
  type FinishReason,
  type FloatModel,
  type GenerateOptions,
  generate,
  type IntModel,
  loadModel,
  MAX_PROMPT_TOKENS,
  MAX_TOKENS_CAP,
  type ManifestEntry,
  type ModelConfig,
  parseRuntimeRequest,
  quantizeModel,
  RUNTIME_ID,
  RuntimeBackend,
  type RuntimeBackendDeps,
  type RuntimeBackendOptions,
  type RuntimeManifest,
  type RuntimeRequest,
  readManifest,
  reexecute,
} from "./runtime/index.js";
// Verifiers (verifier/): re-execution, disputes, the staked verifier node.
export {
  DISPUTE_OUTCOMES,
  DisputeChain,
  type DisputeState,
  type OpenedDispute,
  type VerifierState,
} from "./verifier/disputeChain.js";
export { reexecuteAnswer } from "./verifier/reexecuteAnswer.js";
export {
  defaultVerifierNodeOptions,
  requestShape,
  type VerifierDecision,
  VerifierNode,
  type VerifierNodeDeps,
  type VerifierNodeOptions,
  weightsOf,
} from "./verifier/verifierNode.js";
export { inSample, type RecordVerdict, settledSince, type VerifyRecordParameters, verifyRecord } from "./verifier/verifyRecord.js";
