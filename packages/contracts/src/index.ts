import { ContractsError, ContractsErrorCode } from "./errors.js";
import * as generated from "./generated/index.js";

export {
  COMPUTE_SYSTEM_CONTRACTS,
  type ComputeGenesisDeployment,
  type ComputeGenesisParams,
  type ComputeSystemContractName,
  computeGenesisDeployments,
  DEVNET_COMPUTE_PARAMS,
  DisputeOutcome,
  INFERENCE_RECEIPT_TYPES,
  type InferenceReceipt,
  inferenceEip712Domain,
  OPML_VERIFIABILITY,
  SettlementStatus,
  TEE_SETTLEMENT_TYPES,
  type TEESettlementMessage,
} from "./compute.js";
export {
  DA_SYSTEM_CONTRACTS,
  type DAGenesisDeployment,
  type DAGenesisParams,
  type DAGenesisSigner,
  type DASystemContractName,
  DEVNET_DA_PARAMS,
  daBallotSeed,
  daEpochRegistrationMessage,
  daGenesisDeployments,
  daGenesisSigner,
  daRegistrationMessage,
  type G1Point,
  type G2Point,
  g1PointFromBytes,
  g1PointToBytes,
  g2PointFromBytes,
  g2PointToBytes,
} from "./da.js";
export { ContractsError, ContractsErrorCode, type ContractsErrorType } from "./errors.js";
export {
  daEntranceAbi,
  daEntranceBytecode,
  daEntranceDeployedBytecode,
  daRegistryAbi,
  daRegistryBytecode,
  daRegistryDeployedBytecode,
  daSignersAbi,
  daSignersBytecode,
  daSignersDeployedBytecode,
  fixedPriceAbi,
  fixedPriceBytecode,
  fixedPriceDeployedBytecode,
  flowAbi,
  flowBytecode,
  flowDeployedBytecode,
  inferenceDisputesAbi,
  inferenceDisputesBytecode,
  inferenceDisputesDeployedBytecode,
  inferenceServingAbi,
  inferenceServingBytecode,
  inferenceServingDeployedBytecode,
  ledgerManagerAbi,
  ledgerManagerBytecode,
  ledgerManagerDeployedBytecode,
  solcVersion,
  storageRewardAbi,
  storageRewardBytecode,
  storageRewardDeployedBytecode,
  testEventsAbi,
  testEventsBytecode,
  testEventsChildAbi,
  testEventsChildBytecode,
  testEventsChildDeployedBytecode,
  testEventsDeployedBytecode,
  testTokenAbi,
  testTokenBytecode,
  testTokenDeployedBytecode,
} from "./generated/index.js";
export {
  DEVNET_STORAGE_PARAMS,
  STORAGE_SYSTEM_CONTRACTS,
  type StorageGenesisDeployment,
  type StorageGenesisParams,
  type StorageSystemContractName,
  storageGenesisDeployments,
} from "./storage.js";

/** What the build produces for one contract: its JSON ABI and its creation and runtime bytecode. */
export type ContractArtifact = {
  readonly abi: readonly unknown[];
  readonly bytecode: `0x${string}`;
  readonly deployedBytecode: `0x${string}`;
};

/**
 * Every contract this package ships, by Solidity name. ABIs keep their literal types, so viem and abitype infer
 * function names, arguments and results from `contracts.TestToken.abi`.
 */
export const contracts = {
  TestToken: { abi: generated.testTokenAbi, bytecode: generated.testTokenBytecode, deployedBytecode: generated.testTokenDeployedBytecode },
  TestEvents: {
    abi: generated.testEventsAbi,
    bytecode: generated.testEventsBytecode,
    deployedBytecode: generated.testEventsDeployedBytecode,
  },
  /** Created by `TestEvents.deployChild` with CREATE2; here to compute its address or match its code. */
  TestEventsChild: {
    abi: generated.testEventsChildAbi,
    bytecode: generated.testEventsChildBytecode,
    deployedBytecode: generated.testEventsChildDeployedBytecode,
  },
  /** 0G Storage log contract (genesis: `STORAGE_SYSTEM_CONTRACTS.Flow`). */
  Flow: { abi: generated.flowAbi, bytecode: generated.flowBytecode, deployedBytecode: generated.flowDeployedBytecode },
  /** 0G Storage fixed-price market. */
  FixedPrice: {
    abi: generated.fixedPriceAbi,
    bytecode: generated.fixedPriceBytecode,
    deployedBytecode: generated.fixedPriceDeployedBytecode,
  },
  /** 0G Storage reward pool, fees booked per 8 GiB pricing chunk. */
  StorageReward: {
    abi: generated.storageRewardAbi,
    bytecode: generated.storageRewardBytecode,
    deployedBytecode: generated.storageRewardDeployedBytecode,
  },
  /** DA signers, epochs and quorums, 0G's precompile as a contract (genesis: `DA_SYSTEM_CONTRACTS.DASigners`). */
  DASigners: {
    abi: generated.daSignersAbi,
    bytecode: generated.daSignersBytecode,
    deployedBytecode: generated.daSignersDeployedBytecode,
  },
  /** DA staking gate in front of `DASigners`. */
  DARegistry: {
    abi: generated.daRegistryAbi,
    bytecode: generated.daRegistryBytecode,
    deployedBytecode: generated.daRegistryDeployedBytecode,
  },
  /** DA blob submission and verified erasure commitments. */
  DAEntrance: {
    abi: generated.daEntranceAbi,
    bytecode: generated.daEntranceBytecode,
    deployedBytecode: generated.daEntranceDeployedBytecode,
  },
  /** 0G Compute main ledger (genesis: `COMPUTE_SYSTEM_CONTRACTS.LedgerManager`). */
  LedgerManager: {
    abi: generated.ledgerManagerAbi,
    bytecode: generated.ledgerManagerBytecode,
    deployedBytecode: generated.ledgerManagerDeployedBytecode,
  },
  /** 0G Compute inference services, sub-accounts, settlement and provider stakes. */
  InferenceServing: {
    abi: generated.inferenceServingAbi,
    bytecode: generated.inferenceServingBytecode,
    deployedBytecode: generated.inferenceServingDeployedBytecode,
  },
  /** zerog's disputes over "OpML" answers: staked verifiers, votes, slashing through `InferenceServing`. */
  InferenceDisputes: {
    abi: generated.inferenceDisputesAbi,
    bytecode: generated.inferenceDisputesBytecode,
    deployedBytecode: generated.inferenceDisputesDeployedBytecode,
  },
} as const satisfies Record<string, ContractArtifact>;

export type ContractName = keyof typeof contracts;

export function isContractName(name: string): name is ContractName {
  return Object.hasOwn(contracts, name);
}

/** The artifact of contract `name`; throws `CONTRACTS_UNKNOWN_CONTRACT` for a name outside the registry. */
export function getContract<N extends ContractName>(name: N): (typeof contracts)[N] {
  if (!isContractName(name)) {
    throw new ContractsError(
      { code: ContractsErrorCode.UNKNOWN_CONTRACT, name, known: Object.keys(contracts) },
      `Unknown contract "${name}"; known contracts: ${Object.keys(contracts).join(", ")}`,
    );
  }
  return contracts[name];
}
