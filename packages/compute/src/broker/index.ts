export { AccountCache } from "./accountCache.js";
export { type BackendServer, serveBackend } from "./backends/backendServer.js";
export { defaultEchoBackendOptions, EchoBackend, type EchoBackendOptions } from "./backends/echoBackend.js";
export { defaultOpenAIUpstreamOptions, OpenAIUpstreamBackend, type OpenAIUpstreamOptions } from "./backends/openAIUpstreamBackend.js";
export { Broker, type BrokerDeps, type BrokerOptions, defaultBrokerOptions } from "./broker.js";
export type {
  BrokerAccount,
  BrokerChain,
  BrokerService,
  ServiceParams,
  SettlementData,
  SignedTx,
  TxStatus,
} from "./brokerChain.js";
export { FakeBrokerChain, type FakeSendFault } from "./fakeBrokerChain.js";
export { type MeteredUsage, ResponseMeter } from "./meter.js";
export {
  brokerServingAbi,
  DEFAULT_INFERENCE_SERVING,
  RpcBrokerChain,
  type RpcBrokerChainOptions,
  SETTLE_BASE_GAS,
  SETTLE_GAS_PER_ITEM,
} from "./rpcBrokerChain.js";
export { serviceDiff, syncService } from "./serviceSync.js";
export { defaultSettlementOptions, type SettlementOptions, Settler, type SettlerDeps, type SettleSummary } from "./settler.js";
export type { StoredBatch, StoredBatchItem, UnsettledEntry, UsageRecord, UserUsage } from "./usageStore.js";
export { UsageStore } from "./usageStore.js";
