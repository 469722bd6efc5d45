import { COMPUTE_SYSTEM_CONTRACTS, inferenceServingAbi } from "@zerog/contracts";
import {
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  encodeFunctionData,
  type Hex,
  keccak256,
  type LocalAccount,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connectChain } from "../client/connectChain.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import type { BrokerAccount, BrokerChain, BrokerService, ServiceParams, SettlementData, SignedTx, TxStatus } from "./brokerChain.js";

/** The InferenceServing ABI the broker calls (generated from zerog's Solidity, 0G's selectors). */
export const brokerServingAbi = inferenceServingAbi;

/** The genesis address of InferenceServing (docs/compute-plan.md §1). */
export const DEFAULT_INFERENCE_SERVING: Hex = COMPUTE_SYSTEM_CONTRACTS.InferenceServing;

/** Gas of `settleFeesWithTEE`: a fixed, generous limit from the batch size, so no `eth_estimateGas` round trip. */
export const SETTLE_BASE_GAS = 150_000n;
export const SETTLE_GAS_PER_ITEM = 150_000n;
const SERVICE_GAS = 1_000_000n;

export interface RpcBrokerChainOptions {
  rpcUrl: string;
  /** The provider's key: sends settlements and registers the service. */
  privateKey: Hex;
  /** Default: `zg_systemContracts` of the chain, else the genesis address. */
  servingContract?: Hex;
}

/**
 * `BrokerChain` over Ethereum JSON-RPC (viem). Transactions are signed locally with the provider's key — EIP-1559 when
 * the latest block has a base fee, legacy otherwise — and sent as raw bytes.
 */
export class RpcBrokerChain implements BrokerChain {
  readonly providerAddress: Hex;

  private constructor(
    readonly chainId: number,
    readonly servingContract: Hex,
    private readonly client: PublicClient,
    private readonly account: LocalAccount,
    private readonly chain: Chain,
  ) {
    this.providerAddress = account.address.toLowerCase() as Hex;
  }

  static async connect(o: RpcBrokerChainOptions): Promise<RpcBrokerChain> {
    const c = await connectChain(o.rpcUrl);
    const serving = o.servingContract ?? (await c.systemContracts()).InferenceServing ?? DEFAULT_INFERENCE_SERVING;
    await c.requireCode(serving, "InferenceServing");
    return new RpcBrokerChain(c.chainId, serving.toLowerCase() as Hex, c.client, privateKeyToAccount(o.privateKey), c.chain);
  }

  async getAccount(user: Hex): Promise<BrokerAccount | null> {
    let a: BrokerAccount;
    try {
      a = (await this.read("getAccount", [user, this.providerAddress])) as typeof a;
    } catch (e) {
      if (revertName(e) === "AccountNotExists") return null;
      const exists = await this.read("accountExists", [user, this.providerAddress]).catch(() => true);
      if (exists === false) return null;
      throw failed(`getAccount(${user}) failed: ${(e as Error).message}`);
    }
    if (/^0x0{40}$/.test(a.user)) return null;
    return {
      user: a.user.toLowerCase() as Hex,
      provider: a.provider.toLowerCase() as Hex,
      nonce: a.nonce,
      balance: a.balance,
      pendingRefund: a.pendingRefund,
      acknowledged: a.acknowledged,
      generation: a.generation,
      revokedBitmap: a.revokedBitmap,
    };
  }

  async getService(provider: Hex): Promise<BrokerService | null> {
    if (!(await this.read("serviceExists", [provider]))) return null;
    const s = (await this.read("getService", [provider])) as BrokerService & { updatedAt: bigint };
    return {
      provider: s.provider.toLowerCase() as Hex,
      serviceType: s.serviceType,
      url: s.url,
      model: s.model,
      verifiability: s.verifiability,
      inputPrice: s.inputPrice,
      outputPrice: s.outputPrice,
      additionalInfo: s.additionalInfo,
      teeSignerAddress: s.teeSignerAddress.toLowerCase() as Hex,
      teeSignerAcknowledged: s.teeSignerAcknowledged,
    };
  }

  async addOrUpdateService(p: ServiceParams, value: bigint): Promise<void> {
    const data = encodeFunctionData({ abi: brokerServingAbi, functionName: "addOrUpdateService", args: [p] });
    const tx = await this.sign(data, value, SERVICE_GAS);
    await this.send(tx);
    const r = await this.client.waitForTransactionReceipt({ hash: tx.hash, timeout: 60_000 });
    if (r.status !== "success") throw failed(`addOrUpdateService (${tx.hash}) reverted`);
  }

  signSettlement(items: readonly SettlementData[]): Promise<SignedTx> {
    const data = encodeFunctionData({
      abi: brokerServingAbi,
      functionName: "settleFeesWithTEE",
      args: [items.map((i) => ({ ...i }))],
    });
    return this.sign(data, 0n, SETTLE_BASE_GAS + SETTLE_GAS_PER_ITEM * BigInt(items.length));
  }

  async send(tx: SignedTx): Promise<void> {
    try {
      await this.client.sendRawTransaction({ serializedTransaction: tx.raw });
    } catch (e) {
      // Sent before (a restart, a resend): known to the pool or mined is not an error.
      if (await this.client.getTransaction({ hash: tx.hash }).catch(() => null)) return;
      if (await this.client.getTransactionReceipt({ hash: tx.hash }).catch(() => null)) return;
      throw failed(`sending ${tx.hash} failed: ${e instanceof BaseError ? e.shortMessage : (e as Error).message}`);
    }
  }

  async status(tx: SignedTx): Promise<TxStatus> {
    // The sender nonce first: if it is used, the receipt (read after) tells whether our transaction used it.
    const used = await this.client.getTransactionCount({ address: this.providerAddress, blockTag: "latest" });
    const r = await this.client.getTransactionReceipt({ hash: tx.hash }).catch(() => null);
    if (r) return r.status === "success" ? "success" : "reverted";
    if (used > tx.nonce) return "replaced";
    return (await this.client.getTransaction({ hash: tx.hash }).catch(() => null)) ? "pending" : "missing";
  }

  private read(functionName: string, args: readonly unknown[]): Promise<unknown> {
    return this.client.readContract({
      address: this.servingContract,
      abi: brokerServingAbi,
      functionName: functionName as never,
      args: args as never,
    });
  }

  private async sign(data: Hex, value: bigint, gas: bigint): Promise<SignedTx> {
    const [nonce, block] = await Promise.all([
      this.client.getTransactionCount({ address: this.providerAddress, blockTag: "pending" }),
      this.client.getBlock({ blockTag: "latest" }),
    ]);
    const base = { to: this.servingContract, data, value, nonce, gas, chainId: this.chainId };
    let raw: Hex;
    if (block.baseFeePerGas !== null && block.baseFeePerGas !== undefined) {
      const tip = await this.client.estimateMaxPriorityFeePerGas({ chain: this.chain }).catch(() => 1_000_000_000n);
      raw = await this.account.signTransaction({
        ...base,
        type: "eip1559",
        maxPriorityFeePerGas: tip,
        maxFeePerGas: block.baseFeePerGas * 2n + tip,
      });
    } else {
      const gasPrice = await this.client.getGasPrice();
      raw = await this.account.signTransaction({ ...base, type: "legacy", gasPrice: gasPrice * 2n });
    }
    return { raw, hash: keccak256(raw), nonce };
  }
}

function revertName(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
  return r instanceof ContractFunctionRevertedError ? r.data?.errorName : undefined;
}

function failed(detail: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.CHAIN_FAILED, detail }, detail);
}
