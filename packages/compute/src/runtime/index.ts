export { AsyncQueue } from "./asyncQueue.js";
export { type ChatMessage, type ChatRole, chatPromptTokens, completionPromptTokens } from "./chatTemplate.js";
export { CompletionText } from "./completionText.js";
export {
  contextFeatures,
  createFeatureScratch,
  emaWeights,
  type ModelConfig,
  ngramHash,
  type TableLayout,
  tableLayout,
  WEIGHT_ONE,
} from "./features.js";
export { ACT_ONE, buildExpTable, buildTanhTable, EXP_ONE, requant, roundShift } from "./fixedPoint.js";
export { type FinishReason, type GenerateOptions, generate, stopMatched } from "./generate.js";
export * from "./limits.js";
export {
  createModelFromBytes,
  DEFAULT_MODELS_DIR,
  loadModel,
  type ManifestEntry,
  type RuntimeManifest,
  readManifest,
} from "./loadModel.js";
export { createForwardScratch, createModel, type ForwardScratch, forward, type IntModel } from "./model.js";
export { type FloatModel, quantizeModel } from "./quantize.js";
export { type CompletionComparison, compareCompletion, completionContent, reexecute } from "./reexecute.js";
export { parseRequestBody, parseRuntimeRequest, type RuntimeRequest } from "./request.js";
export { type CompletionContent, completionId, completionPieces, type ResponseMeta } from "./response.js";
export { defaultRuntimeBackendOptions, RuntimeBackend, type RuntimeBackendDeps, type RuntimeBackendOptions } from "./runtimeBackend.js";
export { RuntimePool } from "./runtimePool.js";
export { argmax, createRandom, createSampler } from "./sampling.js";
export * from "./tokens.js";
export { decodeUtf8, Utf8Decoder } from "./utf8.js";
export {
  type DecodedWeights,
  decodeWeights,
  encodeWeights,
  type Tensor,
  WEIGHTS_MAGIC,
  WEIGHTS_VERSION,
  type WeightsHeader,
} from "./weightsFile.js";
