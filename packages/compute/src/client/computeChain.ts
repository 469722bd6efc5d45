import { COMPUTE_SYSTEM_CONTRACTS, inferenceServingAbi, ledgerManagerAbi } from "@zerog/contracts";
import {
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Account as ViemAccount,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import { connectChain } from "./connectChain.js";

export interface ComputeContracts {
  LedgerManager: Hex;
  InferenceServing: Hex;
  InferenceDisputes: Hex;
}

export interface ComputeChainOptions {
  rpcUrl: string;
  /** The user's (or provider's, or verifier's) key; none: read-only. */
  privateKey?: Hex;
  /** Default: `zg_systemContracts` of the chain, else `COMPUTE_SYSTEM_CONTRACTS`. */
  contracts?: ComputeContracts;
}

/** `LedgerManager.Ledger`. */
export interface Ledger {
  user: Hex;
  availableBalance: bigint;
  totalBalance: bigint;
  additionalInfo: string;
}

/** `InferenceServing.Service`. */
export interface Service {
  provider: Hex;
  serviceType: string;
  url: string;
  inputPrice: bigint;
  outputPrice: bigint;
  updatedAt: bigint;
  model: string;
  verifiability: string;
  additionalInfo: string;
  teeSignerAddress: Hex;
  teeSignerAcknowledged: boolean;
}

/** `InferenceServing.Account`: a user's sub-account with one provider. */
export interface SubAccount {
  user: Hex;
  provider: Hex;
  nonce: bigint;
  balance: bigint;
  pendingRefund: bigint;
  refunds: readonly { index: bigint; amount: bigint; createdAt: bigint; processed: boolean }[];
  additionalInfo: string;
  acknowledged: boolean;
  validRefundsLength: bigint;
  generation: bigint;
  revokedBitmap: bigint;
}

const PAGE = 50n;

/**
 * The compute contracts over the chain's JSON-RPC, as a user (ledger, sub-accounts, services) sees them. Writes wait
 * for their receipt and turn a revert into a `COMPUTE_CHAIN_FAILED` error naming the contract's custom error.
 */
export class ComputeChain {
  /** The ledger's name of `InferenceServing` (`inference-v1.0` in genesis), as `transferFund` and friends take it. */
  private serviceName: string | undefined;

  private constructor(
    readonly chainId: number,
    readonly contracts: ComputeContracts,
    readonly client: PublicClient,
    readonly wallet: WalletClient | undefined,
    readonly account: ViemAccount | undefined,
  ) {}

  static async connect(o: ComputeChainOptions): Promise<ComputeChain> {
    const c = await connectChain(o.rpcUrl);
    let contracts = o.contracts;
    if (!contracts) {
      const listed = await c.systemContracts();
      contracts = {
        LedgerManager: listed.LedgerManager ?? COMPUTE_SYSTEM_CONTRACTS.LedgerManager,
        InferenceServing: listed.InferenceServing ?? COMPUTE_SYSTEM_CONTRACTS.InferenceServing,
        InferenceDisputes: listed.InferenceDisputes ?? COMPUTE_SYSTEM_CONTRACTS.InferenceDisputes,
      };
    }
    await c.requireCode(contracts.InferenceServing, "InferenceServing");
    const account = o.privateKey ? privateKeyToAccount(o.privateKey) : undefined;
    const wallet = account ? createWalletClient({ chain: c.chain, transport: c.transport, account }) : undefined;
    return new ComputeChain(c.chainId, contracts, c.client, wallet, account);
  }

  /** The sending account's address; throws when read-only. */
  get address(): Hex {
    if (!this.account) throw this.readOnly();
    return this.account.address;
  }

  async getLedger(user: Hex = this.address): Promise<Ledger | null> {
    try {
      return (await this.client.readContract({
        address: this.contracts.LedgerManager,
        abi: ledgerManagerAbi,
        functionName: "getLedger",
        args: [user],
      })) as Ledger;
    } catch (e) {
      if (revertName(e) === "LedgerNotExists") return null;
      throw chainFailed("getLedger", e);
    }
  }

  /** `getServiceInfo(InferenceServing).fullName` from the ledger, once. */
  async inferenceServiceName(): Promise<string> {
    if (this.serviceName === undefined) {
      try {
        const info = (await this.client.readContract({
          address: this.contracts.LedgerManager,
          abi: ledgerManagerAbi,
          functionName: "getServiceInfo",
          args: [this.contracts.InferenceServing],
        })) as { fullName: string };
        this.serviceName = info.fullName;
      } catch (e) {
        throw chainFailed("getServiceInfo", e);
      }
    }
    return this.serviceName;
  }

  /** Providers with which `user` has an inference sub-account. */
  async ledgerProviders(user: Hex = this.address): Promise<Hex[]> {
    try {
      return [
        ...((await this.client.readContract({
          address: this.contracts.LedgerManager,
          abi: ledgerManagerAbi,
          functionName: "getLedgerProviders",
          args: [user, await this.inferenceServiceName()],
        })) as Hex[]),
      ];
    } catch (e) {
      if (revertName(e) === "LedgerNotExists") return [];
      throw chainFailed("getLedgerProviders", e);
    }
  }

  async getService(provider: Hex): Promise<Service | null> {
    const exists = (await this.read("serviceExists", [provider])) as boolean;
    return exists ? ((await this.read("getService", [provider])) as Service) : null;
  }

  async listServices(): Promise<Service[]> {
    const out: Service[] = [];
    for (let offset = 0n; ; offset += PAGE) {
      const [page, total] = (await this.read("getAllServices", [offset, PAGE])) as [Service[], bigint];
      out.push(...page);
      if (offset + PAGE >= total || page.length === 0) return out;
    }
  }

  async getAccount(provider: Hex, user: Hex = this.address): Promise<SubAccount | null> {
    const exists = (await this.read("accountExists", [user, provider])) as boolean;
    return exists ? ((await this.read("getAccount", [user, provider])) as SubAccount) : null;
  }

  /** `addLedger("")` with `amount` (≥ 3 ZG). */
  addLedger(amount: bigint): Promise<Hex> {
    return this.write(this.contracts.LedgerManager, ledgerManagerAbi, "addLedger", [""], amount);
  }

  /** `depositFund()`: creates the ledger if there is none (then ≥ 3 ZG). */
  depositFund(amount: bigint): Promise<Hex> {
    return this.write(this.contracts.LedgerManager, ledgerManagerAbi, "depositFund", [], amount);
  }

  /** `refund(amount)` from the ledger's available balance back to the wallet. */
  refund(amount: bigint): Promise<Hex> {
    return this.write(this.contracts.LedgerManager, ledgerManagerAbi, "refund", [amount]);
  }

  /** `transferFund(provider, "inference-v1.0", amount)`: ledger → the provider's sub-account (created on first use). */
  async transferFund(provider: Hex, amount: bigint): Promise<Hex> {
    const name = await this.inferenceServiceName();
    return this.write(this.contracts.LedgerManager, ledgerManagerAbi, "transferFund", [provider, name, amount]);
  }

  /** `retrieveFund(providers, "inference-v1.0")`: matured refunds back to the ledger, and new refund requests. */
  async retrieveFund(providers: readonly Hex[]): Promise<Hex> {
    const name = await this.inferenceServiceName();
    return this.write(this.contracts.LedgerManager, ledgerManagerAbi, "retrieveFund", [providers, name]);
  }

  /** A view of `InferenceServing`. */
  async read(functionName: string, args: readonly unknown[]): Promise<unknown> {
    try {
      return await this.client.readContract({
        address: this.contracts.InferenceServing,
        abi: inferenceServingAbi,
        functionName: functionName as never,
        args: args as never,
      });
    } catch (e) {
      throw chainFailed(functionName, e);
    }
  }

  /** Simulates first (so a revert names its custom error), then sends and waits for the receipt; the tx hash. */
  async write(address: Hex, abi: readonly unknown[], functionName: string, args: readonly unknown[], value = 0n): Promise<Hex> {
    return (await this.send(address, abi, functionName, args, value)).transactionHash;
  }

  /** `write`, returning the whole receipt (for the events it logged). */
  async send(
    address: Hex,
    abi: readonly unknown[],
    functionName: string,
    args: readonly unknown[],
    value = 0n,
  ): Promise<TransactionReceipt> {
    if (!this.wallet || !this.account) throw this.readOnly();
    try {
      const { request } = await this.client.simulateContract({
        address,
        abi: abi as never,
        functionName: functionName as never,
        args: args as never,
        value,
        account: this.account,
      } as never);
      const hash = await this.wallet.writeContract(request as never);
      const r = await this.client.waitForTransactionReceipt({ hash, timeout: 60_000 });
      if (r.status !== "success")
        throw new ComputeError(
          { code: ComputeErrorCode.CHAIN_FAILED, detail: "reverted" },
          `${functionName}: transaction ${hash} reverted`,
        );
      return r;
    } catch (e) {
      throw chainFailed(functionName, e);
    }
  }

  private readOnly(): ComputeError {
    return new ComputeError(
      { code: ComputeErrorCode.BAD_REQUEST, detail: "no key" },
      "this needs an account: pass a private key (--key, or a devnet account)",
    );
  }
}

/** The custom error a contract call reverted with, if viem could decode one. */
export function revertName(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
  return r instanceof ContractFunctionRevertedError ? r.data?.errorName : undefined;
}

function chainFailed(what: string, e: unknown): ComputeError {
  if (e instanceof ComputeError) return e;
  const name = revertName(e);
  const r = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
  const args = r instanceof ContractFunctionRevertedError && r.data?.args ? `(${r.data.args.map(String).join(", ")})` : "";
  const detail = name ? `${name}${args}` : e instanceof BaseError ? e.shortMessage : (e as Error).message;
  return new ComputeError({ code: ComputeErrorCode.CHAIN_FAILED, detail }, `${what} failed: ${detail}`);
}
