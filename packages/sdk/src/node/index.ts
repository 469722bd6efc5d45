import { installNativeMerkleBackend } from "@zerog/core/native";
import { setDefaultHttpExchange } from "../storage/httpExchange.js";
import { nodeHttpExchange } from "./httpExchange.js";

// In Node, hash segments with the native keccak addon (~10x hash-wasm) when it was built; the browser entry point keeps
// hash-wasm. Installing is idempotent and self-checked against hash-wasm.
installNativeMerkleBackend();
// HTTP over node:http rather than undici's fetch: one copy of each body byte instead of three (httpExchange.ts).
setDefaultHttpExchange(nodeHttpExchange);

// 0G Compute's user side (`@zerog/compute` documents each): ledger and sub-accounts, services, session tokens (0G's
// app-sk format), asking a provider with every answer checked against the exact bytes exchanged, the request journal,
// re-execution and disputes.
export {
  type AnswerCheck,
  type AskParameters,
  type AskReturnType,
  type AskServiceParameters,
  type AskServiceReturnType,
  askProvider,
  askService,
  ComputeChain,
  type ComputeChainOptions,
  chatSignatureText,
  checkAnswer,
  createSessionToken,
  DisputeChain,
  fetchSignature,
  type JournalRecord,
  type Ledger,
  RequestJournal,
  type Service,
  type SignaturePayload,
  type SubAccount,
  verifyChatSignature,
  verifyRecord,
} from "@zerog/compute";
// 0G DA's client side (Node: verification needs c-kzg's native addon): disperse, status, verified retrieval and
// light-client sampling (`@zerog/da` documents each).
export {
  type BlobRef,
  type BlobStatusReply,
  DisperserClient,
  type RetrieveBlobParameters,
  type RetrieveBlobReturnType,
  RpcDAChain,
  retrieveBlob,
  type SampleBlobParameters,
  type SampleBlobReturnType,
  SignerClient,
  sampleBlob,
  samplesFor,
  samplingFailureBound,
} from "@zerog/da";
export { createFileSink, type FileSink, type FileSinkOptions } from "./fileSink.js";
export { type FileSource, openFileSource } from "./fileSource.js";
export { nodeHttpExchange } from "./httpExchange.js";
