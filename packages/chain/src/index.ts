export type { BlockHeader } from "./block/header.js";
export type { Receipt } from "./block/receipt.js";
export {
  generateValidatorKey,
  readValidatorKeyFile,
  signProofOfPossession,
  type ValidatorKey,
  writeValidatorKeyFile,
} from "./consensus/blsKeys.js";
export { ConsensusDriver, type ConsensusDriverOptions, defaultConsensusDriverOptions } from "./consensus/driver.js";
export { type ConsensusTimeouts, defaultConsensusTimeouts } from "./consensus/types.js";
export { ChainError, ChainErrorCode, MempoolError, MempoolErrorCode, TxError, TxErrorCode } from "./errors.js";
export {
  type Block,
  type CommittedBlock,
  type ExecutionEngine,
  listCandidates,
  type ProposalParams,
  type ProposalResult,
  type TxCandidates,
} from "./execution/engine.js";
export { computeGenesis, defaultExecutionOptions, Execution, type ExecutionOptions } from "./execution/execution.js";
export { GENESIS_DEFAULTS, type Genesis, type GenesisAccount, genesisToJSON, parseGenesis } from "./execution/genesis.js";
export {
  type DeployedGenesisContract,
  deployGenesisContract,
  deployGenesisContracts,
  type GenesisContract,
  type GenesisDeployOptions,
} from "./execution/genesisDeploy.js";
export { defaultMempoolOptions, Mempool, type MempoolOptions } from "./mempool/mempool.js";
export {
  ChainNode,
  type ChainNodeDeps,
  type ChainNodeOptions,
  consensusNetworkId,
  defaultChainNodeOptions,
  NodeError,
  NodeErrorCode,
} from "./node.js";
export { generateNodeKey, nodeIdFromKey } from "./p2p/nodeKey.js";
export { defaultPeerManagerOptions, type PeerManagerOptions } from "./p2p/peerManagerOptions.js";
export { BlockProducer, type BlockProducerOptions, defaultBlockProducerOptions } from "./producer/blockProducer.js";
export { type ChainRPCOptions, defaultChainRPCOptions } from "./rpc/context.js";
export { decodeTx, effectiveGasPrice, type SignedTx, signTx, type UnsignedTx } from "./tx/transaction.js";
