import { bytesToHex, bytesToUtf8, type Hex, hexToBytes, keccak256, utf8ToBytes } from "@zerog/core";
import { recoverTeeSettlementSigner } from "../client/chatSignature.js";
import { inferenceEip712Domain } from "../client/inferenceTypedData.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import type { BrokerAccount, BrokerChain, BrokerService, ServiceParams, SettlementData, SignedTx, TxStatus } from "./brokerChain.js";

/** What `send` does with the next transaction (fault tests). */
export type FakeSendFault =
  | "drop" // the node never sees it: send throws, status stays `missing`
  | "revert" // mined, reverted
  | "hang" // the send never returns and the node never sees it (the process dies mid-send)
  | "hangAfterMining"; // mined, but the send never returns (the process dies after the node took it)

type StoredAccount = Omit<BrokerAccount, "user" | "provider">;

const lower = (a: string) => a.toLowerCase() as Hex;

/**
 * InferenceServing in memory with the rules the broker depends on: `settleFeesWithTEE` is all-or-nothing and reverts
 * on a provider other than the sender, a missing account or service, a nonce not above the account's, an EIP-712
 * signature not by the service's signer, or a fee above the balance. Transactions are deduplicated by hash (a resent
 * transaction is mined once) and by sender nonce.
 */
export class FakeBrokerChain implements BrokerChain {
  readonly chainId: number;
  readonly servingContract: Hex;
  readonly providerAddress: Hex;
  readonly minStake: bigint;
  readonly accounts = new Map<Hex, StoredAccount>();
  readonly services = new Map<Hex, BrokerService & { stake: bigint }>();
  /** Every mined `settleFeesWithTEE` item, in order. */
  readonly settled: SettlementData[] = [];
  /** Fees paid to each provider. */
  readonly earned = new Map<Hex, bigint>();
  readonly receipts = new Map<Hex, { status: "success" | "reverted"; revert?: string }>();
  /** Faults applied to the next sends, first first. */
  readonly faults: FakeSendFault[] = [];
  /** Counts of calls (cache tests). */
  readonly calls = { getAccount: 0, getService: 0, send: 0, signSettlement: 0, addOrUpdateService: 0 };
  /** Called after every send attempt, with what happened. */
  onSend: ((tx: SignedTx, outcome: string) => void) | undefined;
  private senderNonce = 0;

  constructor(o: { providerAddress: string; chainId?: number; servingContract?: string; minStake?: bigint }) {
    this.providerAddress = lower(o.providerAddress);
    this.chainId = o.chainId ?? 31337;
    this.servingContract = lower(o.servingContract ?? "0x0000000000000000000000000000000000003001");
    this.minStake = o.minStake ?? 100n * 10n ** 18n;
  }

  // ---- test controls -----------------------------------------------------------------------------------------------

  /** Creates or changes a sub-account (a user's transferFund, refunds, token revocations). */
  setAccount(user: string, a: Partial<StoredAccount>): void {
    const cur = this.accounts.get(lower(user)) ?? {
      nonce: 0n,
      balance: 0n,
      pendingRefund: 0n,
      acknowledged: true,
      generation: 0n,
      revokedBitmap: 0n,
    };
    this.accounts.set(lower(user), { ...cur, ...a });
  }

  account(user: string): StoredAccount | undefined {
    return this.accounts.get(lower(user));
  }

  /** What settlements charged `user` in total. */
  charged(user: string): bigint {
    return this.settled.filter((s) => s.user === lower(user)).reduce((n, s) => n + s.totalFee, 0n);
  }

  // ---- BrokerChain ---------------------------------------------------------------------------------------------------

  async getAccount(user: Hex): Promise<BrokerAccount | null> {
    this.calls.getAccount++;
    const a = this.accounts.get(lower(user));
    return a ? { user: lower(user), provider: this.providerAddress, ...a } : null;
  }

  async getService(provider: Hex): Promise<BrokerService | null> {
    this.calls.getService++;
    const s = this.services.get(lower(provider));
    if (!s) return null;
    const { stake: _stake, ...service } = s;
    return { ...service };
  }

  async addOrUpdateService(p: ServiceParams, value: bigint): Promise<void> {
    this.calls.addOrUpdateService++;
    const cur = this.services.get(this.providerAddress);
    if (!cur && value < this.minStake) throw chainFailed(`the first registration stakes at least ${this.minStake} wei`);
    if (cur && value !== 0n) throw chainFailed("an update sends no value");
    this.services.set(this.providerAddress, {
      provider: this.providerAddress,
      ...p,
      teeSignerAddress: lower(p.teeSignerAddress),
      teeSignerAcknowledged: true,
      stake: (cur?.stake ?? 0n) + value,
    });
  }

  async signSettlement(items: readonly SettlementData[]): Promise<SignedTx> {
    this.calls.signSettlement++;
    const body = JSON.stringify({ nonce: this.senderNonce, items }, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
    const raw = bytesToHex(utf8ToBytes(body));
    return { raw, hash: bytesToHex(keccak256(hexToBytes(raw))), nonce: this.senderNonce };
  }

  send(tx: SignedTx): Promise<void> {
    this.calls.send++;
    if (this.receipts.has(tx.hash)) return this.report(tx, "known", Promise.resolve());
    if (tx.nonce < this.senderNonce) return this.report(tx, "nonce too low", Promise.reject(chainFailed("nonce too low")));
    const fault = this.faults.shift();
    if (fault === "drop") return this.report(tx, "dropped", Promise.reject(chainFailed("connection reset (fault injected)")));
    if (fault === "hang") return this.report(tx, "hung", new Promise<void>(() => {}));
    if (fault === "revert") {
      this.mine(tx, "reverted (fault injected)");
      return this.report(tx, "reverted", Promise.resolve());
    }
    const why = this.apply(tx);
    this.mine(tx, why);
    if (fault === "hangAfterMining") return this.report(tx, "mined, then hung", new Promise<void>(() => {}));
    return this.report(tx, why ? `reverted: ${why}` : "mined", Promise.resolve());
  }

  async status(tx: SignedTx): Promise<TxStatus> {
    const r = this.receipts.get(tx.hash);
    if (r) return r.status;
    return tx.nonce < this.senderNonce ? "replaced" : "missing";
  }

  // ---- the contract ---------------------------------------------------------------------------------------------------

  private mine(tx: SignedTx, revert: string | undefined): void {
    this.senderNonce++;
    this.receipts.set(tx.hash, revert ? { status: "reverted", revert } : { status: "success" });
  }

  /** Applies a settlement batch all-or-nothing; the revert reason, or undefined when applied. */
  private apply(tx: SignedTx): string | undefined {
    const { items } = JSON.parse(bytesToUtf8(hexToBytes(tx.raw)), (_k, v) =>
      typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
    ) as { items: SettlementData[] };
    const domain = inferenceEip712Domain(this.chainId, this.servingContract);
    const next = new Map<Hex, StoredAccount>();
    for (const s of items) {
      if (lower(s.provider) !== this.providerAddress) return "ProviderMismatch";
      const service = this.services.get(this.providerAddress);
      const account = next.get(lower(s.user)) ?? this.accounts.get(lower(s.user));
      if (!service || !account) return "AccountNotExists";
      if (!service.teeSignerAcknowledged || !account.acknowledged) return "TEESignerNotAcknowledged";
      if (s.nonce <= account.nonce) return "InvalidNonce";
      let signer: string;
      try {
        signer = recoverTeeSettlementSigner(
          { requestsHash: hexToBytes(s.requestsHash), nonce: s.nonce, provider: s.provider, user: s.user, totalFee: s.totalFee },
          domain,
          s.signature,
        );
      } catch {
        return "InvalidTEESignature";
      }
      if (signer !== lower(service.teeSignerAddress)) return "InvalidTEESignature";
      if (s.totalFee > account.balance) return "InsufficientBalance";
      const free = account.balance - account.pendingRefund;
      const fromRefunds = s.totalFee > free ? s.totalFee - free : 0n;
      next.set(lower(s.user), {
        ...account,
        nonce: s.nonce,
        balance: account.balance - s.totalFee,
        pendingRefund: account.pendingRefund - fromRefunds,
      });
    }
    for (const [user, a] of next) this.accounts.set(user, a);
    for (const s of items) {
      this.settled.push({ ...s, user: lower(s.user) });
      this.earned.set(this.providerAddress, (this.earned.get(this.providerAddress) ?? 0n) + s.totalFee);
    }
    return undefined;
  }

  private report(tx: SignedTx, outcome: string, p: Promise<void>): Promise<void> {
    this.onSend?.(tx, outcome);
    return p;
  }
}

function chainFailed(detail: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.CHAIN_FAILED, detail }, detail);
}
