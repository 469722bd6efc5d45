import type { Hex } from "@zerog/core";

/** `InferenceServing.Account`, the fields the broker uses. */
export interface BrokerAccount {
  user: Hex;
  provider: Hex;
  /** The last settlement nonce; a settlement needs a larger one. */
  nonce: bigint;
  balance: bigint;
  pendingRefund: bigint;
  acknowledged: boolean;
  generation: bigint;
  revokedBitmap: bigint;
}

/** `InferenceServing.ServiceParams` (`addOrUpdateService`). */
export interface ServiceParams {
  serviceType: string;
  url: string;
  model: string;
  verifiability: string;
  inputPrice: bigint;
  outputPrice: bigint;
  additionalInfo: string;
  teeSignerAddress: Hex;
}

/** `InferenceServing.Service`: the registered parameters, whose they are, and whether the signer is acknowledged. */
export interface BrokerService extends ServiceParams {
  provider: Hex;
  teeSignerAcknowledged: boolean;
}

/** `TEESettlementData`: one user's settlement in a `settleFeesWithTEE` batch. */
export interface SettlementData {
  user: Hex;
  provider: Hex;
  totalFee: bigint;
  requestsHash: Hex;
  nonce: bigint;
  /** 65 bytes, EIP-712 over `TEESettlement` by the service's signer. */
  signature: Hex;
}

/** A transaction signed locally: the broker stores it before sending, and sends the same bytes after a restart. */
export interface SignedTx {
  raw: Hex;
  hash: Hex;
  /** The sender's transaction nonce. */
  nonce: number;
}

/**
 * Where a sent transaction is: mined (`success` / `reverted`), in the pool (`pending`), unknown to the node
 * (`missing`: send it again), or never to be mined because another transaction took its sender nonce (`replaced`).
 */
export type TxStatus = "success" | "reverted" | "pending" | "missing" | "replaced";

/** What the broker needs from the chain. `RpcBrokerChain` over JSON-RPC; `FakeBrokerChain` in memory for tests. */
export interface BrokerChain {
  readonly chainId: number;
  /** The InferenceServing contract (EIP-712 `verifyingContract`). */
  readonly servingContract: Hex;
  /** The provider: the account that registers the service and sends settlements. */
  readonly providerAddress: Hex;
  /** The user's sub-account with this provider; null if there is none. */
  getAccount(user: Hex): Promise<BrokerAccount | null>;
  getService(provider: Hex): Promise<BrokerService | null>;
  /** Registers (with `value` staked, the first time) or updates the provider's service; resolves once mined. */
  addOrUpdateService(params: ServiceParams, value: bigint): Promise<void>;
  /** Signs `settleFeesWithTEE(items)` without sending it. */
  signSettlement(items: readonly SettlementData[]): Promise<SignedTx>;
  /** Sends a signed transaction; one already known or mined is not an error. */
  send(tx: SignedTx): Promise<void>;
  status(tx: SignedTx): Promise<TxStatus>;
}
