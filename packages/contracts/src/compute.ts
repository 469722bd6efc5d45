import { bytesToHex } from "@zerog/core";
import { type AbiValue, abiAddress, abiUint, encodeAbi } from "./abiEncode.js";
import { ContractsError, ContractsErrorCode } from "./errors.js";
import { inferenceDisputesBytecode, inferenceServingBytecode, ledgerManagerBytecode } from "./generated/index.js";

type Hex = `0x${string}`;

/**
 * Where devnet genesis places 0G Compute's contracts (nothing else in genesis uses `0x…3000`–`0x…3002`).
 * `InferenceDisputes` is zerog's: disputes and verifiers live apart from `InferenceServing` so that each stays under
 * EIP-170's 24,576-byte code limit.
 */
export const COMPUTE_SYSTEM_CONTRACTS = {
  LedgerManager: "0x0000000000000000000000000000000000003000",
  InferenceServing: "0x0000000000000000000000000000000000003001",
  InferenceDisputes: "0x0000000000000000000000000000000000003002",
} as const satisfies Record<string, Hex>;

export type ComputeSystemContractName = keyof typeof COMPUTE_SYSTEM_CONTRACTS;

export interface ComputeGenesisParams {
  /** Owner of `LedgerManager` (registers services) and `InferenceServing` (lock time, signer acknowledgements). */
  owner: Hex;
  /** Seconds a sub-account refund waits before it returns to the ledger (0G's deploy default: 86,400). */
  lockTime: bigint;
  /** Bounds of `lockTime` and of the owner's `updateLockTime` (0G: 1 h .. 7 d). */
  minLockTime: bigint;
  maxLockTime: bigint;
  /** Wei a provider stakes with its first `addOrUpdateService` (0G: 100 ether). */
  minProviderStake: bigint;
  /** Seconds after a receipt's `createdAt` it can be disputed; also how long a removed service's stake stays. */
  challengeWindow: bigint;
  /** Wei a verifier stakes to vote on disputes. */
  minVerifierStake: bigint;
  /** Wei a challenger puts up with a dispute (returned unless the verifiers find the provider right). */
  disputeBond: bigint;
  /** Wei taken from the provider's stake when the verifiers find it wrong (capped at the stake). */
  slashAmount: bigint;
  /** Seconds verifiers have to vote after a dispute opens; also an exiting verifier's wait. */
  disputeWindow: bigint;
}

/**
 * Devnet parameters; the owner is added by the caller (devnet: mnemonic account 0). A refund lock of 2 min keeps the
 * refund flow testable by hand (0G: 24 h); the 10 s floor lets tests shorten it further. The stake is 0G's 100 ZG,
 * a slash half of it, so one wrong answer costs a provider dearly but a second dispute still finds something to take.
 * A challenge window of 1 h is long enough for a user's `watch` to re-execute its own requests and short enough that
 * a provider leaving waits an hour; verifiers get 10 min to vote (re-execution takes milliseconds; the rest is slack
 * for a verifier that was offline). Verifier stake 10 ZG and bond 1 ZG are small enough for funded devnet accounts.
 */
export const DEVNET_COMPUTE_PARAMS: Omit<ComputeGenesisParams, "owner"> = {
  lockTime: 120n,
  minLockTime: 10n,
  maxLockTime: 7n * 24n * 3600n,
  minProviderStake: 100n * 10n ** 18n,
  challengeWindow: 3600n,
  minVerifierStake: 10n * 10n ** 18n,
  disputeBond: 10n ** 18n,
  slashAmount: 50n * 10n ** 18n,
  disputeWindow: 600n,
};

/** One system contract to deploy in genesis: creation code with its constructor arguments, at its fixed address. */
export interface ComputeGenesisDeployment {
  name: ComputeSystemContractName;
  address: Hex;
  initCode: Hex;
}

/**
 * The three compute contracts, naming each other by fixed address, in construction order:
 * `InferenceServing(lockTime, ledger, owner, minLockTime, maxLockTime, minProviderStake, challengeWindow, disputes)`,
 * `InferenceDisputes(serving, minVerifierStake, disputeBond, slashAmount, disputeWindow)` (reads the challenge window
 * from `InferenceServing`), then `LedgerManager(owner, serving)`, whose constructor checks `InferenceServing`'s
 * ERC-165 support and registers it as `inference-v1.0`.
 */
export function computeGenesisDeployments(
  params: ComputeGenesisParams,
  addresses: Record<ComputeSystemContractName, Hex> = COMPUTE_SYSTEM_CONTRACTS,
): ComputeGenesisDeployment[] {
  checkParams(params);
  const { LedgerManager, InferenceServing, InferenceDisputes } = addresses;
  const serving = [
    abiUint(params.lockTime),
    abiAddress(LedgerManager),
    abiAddress(params.owner),
    abiUint(params.minLockTime),
    abiUint(params.maxLockTime),
    abiUint(params.minProviderStake),
    abiUint(params.challengeWindow),
    abiAddress(InferenceDisputes),
  ];
  const disputes = [
    abiAddress(InferenceServing),
    abiUint(params.minVerifierStake),
    abiUint(params.disputeBond),
    abiUint(params.slashAmount),
    abiUint(params.disputeWindow),
  ];
  return [
    { name: "InferenceServing", address: InferenceServing, initCode: withArgs(inferenceServingBytecode, serving) },
    { name: "InferenceDisputes", address: InferenceDisputes, initCode: withArgs(inferenceDisputesBytecode, disputes) },
    {
      name: "LedgerManager",
      address: LedgerManager,
      initCode: withArgs(ledgerManagerBytecode, [abiAddress(params.owner), abiAddress(InferenceServing)]),
    },
  ];
}

/** EIP-712 domain of both typed messages: `InferenceServing` is the verifying contract (0G's domain). */
export function inferenceEip712Domain(chainId: bigint | number, verifyingContract: Hex = COMPUTE_SYSTEM_CONTRACTS.InferenceServing) {
  return { name: "0G Inference Serving", version: "1", chainId: BigInt(chainId), verifyingContract } as const;
}

/** 0G's settlement message, signed by the service's signer for one user's aggregate fee. */
export const TEE_SETTLEMENT_TYPES = {
  TEESettlement: [
    { name: "requestsHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "provider", type: "address" },
    { name: "user", type: "address" },
    { name: "totalFee", type: "uint256" },
  ],
} as const;

/** zerog's per-answer receipt, the evidence of a dispute. */
export const INFERENCE_RECEIPT_TYPES = {
  InferenceReceipt: [
    { name: "user", type: "address" },
    { name: "provider", type: "address" },
    { name: "requestHash", type: "bytes32" },
    { name: "responseHash", type: "bytes32" },
    { name: "inputTokens", type: "uint256" },
    { name: "outputTokens", type: "uint256" },
    { name: "fee", type: "uint256" },
    { name: "createdAt", type: "uint256" },
  ],
} as const;

export interface TEESettlementMessage {
  requestsHash: Hex;
  nonce: bigint;
  provider: Hex;
  user: Hex;
  totalFee: bigint;
}

/** `requestHash`/`responseHash`: sha256 of the exact request and response body bytes; `createdAt` in unix seconds. */
export interface InferenceReceipt {
  user: Hex;
  provider: Hex;
  requestHash: Hex;
  responseHash: Hex;
  inputTokens: bigint;
  outputTokens: bigint;
  fee: bigint;
  createdAt: bigint;
}

/** 0G's `SettlementStatus` (`previewSettlementResults`, `TEESettlementResult`). */
export const SettlementStatus = {
  SUCCESS: 0,
  PARTIAL: 1,
  PROVIDER_MISMATCH: 2,
  NO_TEE_SIGNER: 3,
  INVALID_NONCE: 4,
  INVALID_SIGNATURE: 5,
} as const;

/** `InferenceDisputes.Outcome` (`getDispute(id).outcome`, `DisputeResolved`). */
export const DisputeOutcome = { Open: 0, ProviderWrong: 1, ProviderCorrect: 2, Dismissed: 3 } as const;

/** The verifiability that makes a service disputable. */
export const OPML_VERIFIABILITY = "OpML";

function checkParams(p: ComputeGenesisParams): void {
  if (p.minLockTime > p.maxLockTime || p.lockTime < p.minLockTime || p.lockTime > p.maxLockTime) {
    throw new ContractsError(
      { code: ContractsErrorCode.INVALID_ARGUMENT, value: String(p.lockTime) },
      `lockTime ${p.lockTime} must lie within [minLockTime ${p.minLockTime}, maxLockTime ${p.maxLockTime}]`,
    );
  }
  if (p.minVerifierStake === 0n || p.disputeWindow === 0n) {
    throw new ContractsError(
      { code: ContractsErrorCode.INVALID_ARGUMENT, value: `${p.minVerifierStake}/${p.disputeWindow}` },
      "minVerifierStake and disputeWindow must be positive (InferenceDisputes refuses zero)",
    );
  }
}

function withArgs(bytecode: Hex, args: readonly AbiValue[]): Hex {
  return `${bytecode}${bytesToHex(encodeAbi(args)).slice(2)}` as Hex;
}
