import type { Common } from "@ethereumjs/common";
import { createEVM, type EVM, type EVMResult, type ExecResult, type Log } from "@ethereumjs/evm";
import { Account, Address } from "@ethereumjs/util";
import { bytesToHexKey, keccak256, rlpEncode } from "@zerog/core";
import { TxError, TxErrorCode } from "../errors.js";
import { MAX_REFUND_QUOTIENT } from "../params.js";
import { type AccountData, emptyAccount, hasCode, isEmptyAccount } from "../state/account.js";
import type { BlockState } from "../state/blockState.js";
import { calldataFloorGas, intrinsicGas } from "../tx/intrinsicGas.js";
import { type AccessListItem, effectiveGasPrice, type SignedTx } from "../tx/transaction.js";
import { type BlockEnv, toEVMBlock } from "./blockEnv.js";
import { patchInterpreter } from "./evmPatches.js";
import { validateTxAgainstAccount } from "./validateTx.js";

export interface TxOutcome {
  tx: SignedTx;
  /** 1 success, 0 reverted or failed. */
  status: 0 | 1;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  effectiveGasPrice: bigint;
  logs: Log[];
  contractAddress: Uint8Array | null;
  returnValue: Uint8Array;
  /** The EVM's error for a failed transaction (`revert`, `out of gas`, ...). */
  error: string | undefined;
}

const hex = bytesToHexKey;

/**
 * Runs a block's transactions one after another on a `BlockState`. Plain value transfers to
 * accounts without code take a direct path (no interpreter, no call frames); everything else runs
 * in `@ethereumjs/evm` with the same fee, refund and EIP-161 rules as ethereumjs' `runTx`.
 */
export class BlockExecutor {
  readonly env: BlockEnv;
  readonly state: BlockState;
  private readonly evm: EVM;
  private readonly coinbaseHex: string;
  private readonly evmBlock;
  private readonly fastTransfers: boolean;
  gasUsed = 0n;

  private constructor(env: BlockEnv, state: BlockState, evm: EVM, fastTransfers: boolean) {
    this.env = env;
    this.state = state;
    this.evm = evm;
    this.fastTransfers = fastTransfers;
    this.coinbaseHex = hex(env.coinbase);
    this.evmBlock = toEVMBlock(env);
  }

  /** `fastTransfers: false` sends plain transfers through the EVM too (tracers see every call). */
  static async create(common: Common, env: BlockEnv, state: BlockState, opts: { fastTransfers?: boolean } = {}): Promise<BlockExecutor> {
    await patchInterpreter();
    const evm = await createEVM({
      common,
      stateManager: state,
      blockchain: {
        getBlock: async (n: number) => {
          const h = env.getBlockHash(BigInt(n)) ?? new Uint8Array(32);
          return { hash: () => h };
        },
        putBlock: async () => {},
        shallowCopy() {
          return this;
        },
      },
    });
    return new BlockExecutor(env, state, evm, opts.fastTransfers ?? true);
  }

  get evmInstance(): EVM {
    return this.evm;
  }

  /**
   * Executes `tx` if it is valid at this point of the block; throws `TxError` (leaving the state
   * untouched) when it is not, so a block builder can skip it.
   */
  async applyTx(tx: SignedTx): Promise<TxOutcome> {
    const remaining = this.env.gasLimit - this.gasUsed;
    if (tx.gasLimit > remaining) {
      throw new TxError(
        { code: TxErrorCode.GAS_LIMIT_EXCEEDS_BLOCK, gasLimit: tx.gasLimit, blockGasLimit: remaining },
        "transaction gas limit exceeds the gas left in the block",
      );
    }
    const senderHex = hex(tx.sender);
    const sender = this.state.readAccount(tx.sender, senderHex);
    validateTxAgainstAccount(tx, sender, this.env.baseFeePerGas, { exactNonce: true });
    const price = effectiveGasPrice(tx, this.env.baseFeePerGas);
    const outcome = this.isPlainTransfer(tx)
      ? this.applyTransfer(tx, senderHex, sender ?? emptyAccount(), price)
      : await this.applyCall(tx, price);
    this.gasUsed += outcome.gasUsed;
    outcome.cumulativeGasUsed = this.gasUsed;
    return outcome;
  }

  private isPlainTransfer(tx: SignedTx): boolean {
    if (tx.to === null || !this.fastTransfers) return false;
    // EIP-1352 reserves 0x0000…0000 – 0x0000…ffff for precompiles and system contracts.
    let low = true;
    for (let i = 0; i < 18; i++) {
      if (tx.to[i] !== 0) {
        low = false;
        break;
      }
    }
    if (low) return false;
    const to = this.state.readAccount(tx.to);
    return !to || !hasCode(to);
  }

  private applyTransfer(tx: SignedTx, senderHex: string, sender: AccountData, price: bigint): TxOutcome {
    const intrinsic = intrinsicGas(tx);
    const floor = calldataFloorGas(tx);
    const gasUsed = intrinsic > floor ? intrinsic : floor;
    this.state.writeAccount(senderHex, { ...sender, nonce: sender.nonce + 1n, balance: sender.balance - gasUsed * price - tx.value });
    this.credit(tx.to!, hex(tx.to!), tx.value);
    this.credit(this.env.coinbase, this.coinbaseHex, gasUsed * (price - this.env.baseFeePerGas));
    return outcome(tx, 1, gasUsed, price, [], null, new Uint8Array(0), undefined);
  }

  /** Adds to a balance; a zero credit still "touches" the account, deleting it if empty (EIP-161). */
  private credit(address: Uint8Array, a: string, amount: bigint): void {
    const acc = this.state.readAccount(address, a);
    if (amount === 0n) {
      if (acc && isEmptyAccount(acc)) this.state.writeAccount(a, null);
      return;
    }
    const base = acc ?? emptyAccount();
    this.state.writeAccount(a, { ...base, balance: base.balance + amount });
  }

  private async applyCall(tx: SignedTx, price: bigint): Promise<TxOutcome> {
    const { exec, gasUsed } = await this.runMessage(tx, price);
    const failed = exec.exceptionError !== undefined;
    return outcome(
      tx,
      failed ? 0 : 1,
      gasUsed,
      price,
      failed ? [] : (exec.logs ?? []),
      // As geth: a creation's receipt names the address even when the creation failed.
      tx.to === null ? createAddress(tx.sender, tx.nonce) : null,
      exec.returnValue,
      exec.exceptionError?.error,
    );
  }

  /**
   * Runs a message in the EVM with the protocol's accounting: gas bought up front at `price`, nonce
   * bumped, refunds capped (EIP-3529), the calldata floor (EIP-7623), unused gas returned, the tip
   * to the coinbase, same-transaction self-destructs removed (EIP-6780), touched empty accounts
   * removed (EIP-161). The caller has validated nonce and funds.
   */
  async runMessage(m: Message, price: bigint): Promise<{ exec: ExecResult; gasUsed: bigint }> {
    const journal = this.evm.journal;
    const caller = new Address(m.sender);
    const intrinsic = intrinsicGas(m);
    const floor = calldataFloorGas(m);
    await journal.checkpoint();
    for (const key of this.evm.precompiles.keys()) journal.addAlwaysWarmAddress(key);
    journal.addAlwaysWarmAddress(hex(m.sender));
    if (m.to) journal.addAlwaysWarmAddress(hex(m.to));
    journal.addAlwaysWarmAddress(this.coinbaseHex);
    for (const item of m.accessList) {
      const a = hex(item.address);
      journal.addAlwaysWarmAddress(a, true);
      for (const k of item.storageKeys) journal.addAlwaysWarmSlot(a, hex(k), true);
    }
    const senderAcc = this.state.readAccount(m.sender) ?? emptyAccount();
    await journal.putAccount(
      caller,
      toAccount({ ...senderAcc, nonce: senderAcc.nonce + 1n, balance: senderAcc.balance - m.gasLimit * price }),
    );
    let result: EVMResult;
    try {
      result = await this.evm.runCall({
        block: this.evmBlock,
        gasPrice: price,
        caller,
        origin: caller,
        gasLimit: m.gasLimit - intrinsic,
        ...(m.to ? { to: new Address(m.to) } : {}),
        value: m.value,
        data: m.data,
        skipNonceIncrement: true,
      });
    } catch (e) {
      await journal.revert();
      throw e;
    }
    const exec = result.execResult;
    let gasUsed = exec.executionGasUsed + intrinsic;
    const maxRefund = gasUsed / MAX_REFUND_QUOTIENT;
    const refund = exec.gasRefund ?? 0n;
    gasUsed -= refund < maxRefund ? refund : maxRefund;
    if (gasUsed < floor) gasUsed = floor;
    const after = this.state.readAccount(m.sender) ?? emptyAccount();
    await journal.putAccount(caller, toAccount({ ...after, balance: after.balance + (m.gasLimit - gasUsed) * price }));
    const tip = price > this.env.baseFeePerGas ? gasUsed * (price - this.env.baseFeePerGas) : 0n;
    const cb = this.state.readAccount(this.env.coinbase) ?? emptyAccount();
    await journal.putAccount(new Address(this.env.coinbase), toAccount({ ...cb, balance: cb.balance + tip }));
    if (exec.selfdestruct) {
      for (const a of exec.selfdestruct.keys()) {
        // EIP-6780: only contracts created in this same transaction are removed.
        if (exec.createdAddresses?.has(a)) await journal.deleteAccount(new Address(Buffer.from(a.slice(2), "hex")));
      }
    }
    await journal.commit();
    await journal.cleanup();
    this.state.originalStorageCache.clear();
    return { exec, gasUsed };
  }
}

/** What the EVM runs: a transaction's message, or an `eth_call` request. */
export interface Message {
  sender: Uint8Array;
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
  gasLimit: bigint;
  accessList: AccessListItem[];
}

function outcome(
  tx: SignedTx,
  status: 0 | 1,
  gasUsed: bigint,
  price: bigint,
  logs: Log[],
  contractAddress: Uint8Array | null,
  returnValue: Uint8Array,
  error: string | undefined,
): TxOutcome {
  return { tx, status, gasUsed, cumulativeGasUsed: 0n, effectiveGasPrice: price, logs, contractAddress, returnValue, error };
}

function toAccount(a: AccountData): Account {
  return new Account(a.nonce, a.balance, a.storageRoot, a.codeHash);
}

/** The address CREATE gives a contract deployed by `sender` at `nonce`. */
export function createAddress(sender: Uint8Array, nonce: bigint): Uint8Array {
  return keccak256(rlpEncode([sender, nonce])).subarray(12);
}
