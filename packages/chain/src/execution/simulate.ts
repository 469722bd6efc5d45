import type { Common } from "@ethereumjs/common";
import type { ExecResult } from "@ethereumjs/evm";
import { bytesToHex, padLeft } from "@zerog/core";
import type { BlockHeader } from "../block/header.js";
import { TxError, TxErrorCode } from "../errors.js";
import { emptyAccount } from "../state/account.js";
import { BlockState } from "../state/blockState.js";
import type { StateReader } from "../state/stateReader.js";
import { minimumGasLimit } from "../tx/intrinsicGas.js";
import type { AccessListItem } from "../tx/transaction.js";
import type { BlockEnv } from "./blockEnv.js";
import { BlockExecutor } from "./blockExecutor.js";

/** An `eth_call` / `eth_estimateGas` request after parameter parsing. */
export interface CallParams {
  from?: Uint8Array;
  to?: Uint8Array | null;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  value?: bigint;
  data?: Uint8Array;
  accessList?: AccessListItem[];
}

export interface AccountOverride {
  balance?: bigint;
  nonce?: bigint;
  code?: Uint8Array;
  /** Replaces the whole storage. */
  state?: Map<Uint8Array, Uint8Array>;
  /** Changes some slots. */
  stateDiff?: Map<Uint8Array, Uint8Array>;
}

/** geth's state override set: address → what to pretend about it. */
export type StateOverrides = Map<Uint8Array, AccountOverride>;

export interface CallContext {
  common: Common;
  /** The state the call runs on. */
  reader: StateReader;
  /** The block whose context (number, time, base fee, coinbase) the call sees. */
  header: BlockHeader;
  getBlockHash(n: bigint): Uint8Array | undefined;
}

export interface CallResult {
  exec: ExecResult;
  gasUsed: bigint;
  /** True when execution ended in REVERT (revert data in `exec.returnValue`). */
  reverted: boolean;
  /** The EVM's error for a failed call. */
  error: string | undefined;
}

export interface SimulateOptions {
  /** Gas when the request names none, and the most a request may ask for (geth: RPCGasCap). */
  gasCap: bigint;
  /** Send plain transfers through the EVM (for tracers). */
  fullEVM?: boolean;
  /** Called with the executor before the message runs (tracers attach to its EVM here). */
  beforeRun?: (executor: BlockExecutor) => void;
}

/**
 * Runs a call on a copy of some state, as geth's `DoCall`: no nonce check; gas is paid only when
 * the request sets a price (then the base fee applies; otherwise the block's base fee reads as 0).
 */
export async function simulateCall(
  ctx: CallContext,
  p: CallParams,
  overrides: StateOverrides | undefined,
  opts: SimulateOptions,
): Promise<CallResult> {
  const state = new BlockState(ctx.reader);
  if (overrides) applyOverrides(state, overrides);
  const sender = p.from ?? new Uint8Array(20);
  const priced = (p.gasPrice ?? 0n) > 0n || (p.maxFeePerGas ?? 0n) > 0n;
  const baseFee = priced ? ctx.header.baseFeePerGas : 0n;
  let price = 0n;
  if (priced) {
    const feeCap = p.maxFeePerGas ?? p.gasPrice!;
    if (feeCap < baseFee) {
      throw new TxError(
        { code: TxErrorCode.FEE_CAP_BELOW_BASE_FEE, maxFeePerGas: feeCap, baseFee },
        `max fee per gas less than block base fee: address ${bytesToHex(sender)}, maxFeePerGas: ${feeCap}, baseFee: ${baseFee}`,
      );
    }
    const tip = p.maxPriorityFeePerGas ?? feeCap;
    price = baseFee + (tip < feeCap - baseFee ? tip : feeCap - baseFee);
  }
  const gas = p.gas === undefined || p.gas > opts.gasCap ? opts.gasCap : p.gas;
  const msg = {
    sender,
    to: p.to ?? null,
    value: p.value ?? 0n,
    data: p.data ?? new Uint8Array(0),
    gasLimit: gas,
    accessList: p.accessList ?? [],
  };
  const min = minimumGasLimit(msg);
  if (gas < min)
    throw new TxError(
      { code: TxErrorCode.INTRINSIC_GAS_TOO_LOW, gasLimit: gas, intrinsic: min },
      `intrinsic gas too low: have ${gas}, want ${min}`,
    );
  const balance = state.readAccount(sender)?.balance ?? 0n;
  const cost = gas * price + msg.value;
  if (balance < cost) {
    throw new TxError(
      { code: TxErrorCode.INSUFFICIENT_FUNDS, cost, balance },
      `insufficient funds for gas * price + value: address ${bytesToHex(sender)} have ${balance} want ${cost}`,
    );
  }
  const h = ctx.header;
  const env: BlockEnv = {
    number: h.number,
    timestamp: h.timestamp,
    coinbase: h.coinbase,
    gasLimit: h.gasLimit,
    baseFeePerGas: baseFee,
    prevRandao: h.mixHash,
    getBlockHash: ctx.getBlockHash,
  };
  const executor = await BlockExecutor.create(ctx.common, env, state, { fastTransfers: !opts.fullEVM });
  opts.beforeRun?.(executor);
  const { exec, gasUsed } = await executor.runMessage(msg, price);
  const error = exec.exceptionError?.error;
  return { exec, gasUsed, reverted: error === "revert", error };
}

function applyOverrides(state: BlockState, overrides: StateOverrides): void {
  for (const [address, o] of overrides) {
    const a = bytesToHex(address).slice(2);
    const acc = { ...(state.readAccount(address) ?? emptyAccount()) };
    if (o.balance !== undefined) acc.balance = o.balance;
    if (o.nonce !== undefined) acc.nonce = o.nonce;
    if (o.code !== undefined) acc.codeHash = state.writeCode(o.code);
    state.writeAccount(a, acc);
    if (o.state) {
      state.wipeStorage(a);
      for (const [k, v] of o.state) state.writeStorage(a, padLeft(k, 32), v);
    }
    for (const [k, v] of o.stateDiff ?? []) state.writeStorage(a, padLeft(k, 32), v);
  }
}

/** Raised by `estimateGas` when the call fails at the highest gas allowed. */
export class EstimateGasFailure {
  constructor(
    readonly result: CallResult,
    readonly gasLimit: bigint,
  ) {}
}

/**
 * The least gas limit at which the call succeeds, by binary search as geth does (first trying the
 * gas used plus 1/63 for the 63/64 rule). Throws `EstimateGasFailure` when it fails even at the cap.
 */
export async function estimateGas(
  ctx: CallContext,
  p: CallParams,
  overrides: StateOverrides | undefined,
  opts: SimulateOptions,
): Promise<bigint> {
  let hi = p.gas !== undefined && p.gas < opts.gasCap ? p.gas : opts.gasCap;
  const price = p.maxFeePerGas ?? p.gasPrice ?? 0n;
  if (price > 0n) {
    const state = new BlockState(ctx.reader);
    if (overrides) applyOverrides(state, overrides);
    const balance = state.readAccount(p.from ?? new Uint8Array(20))?.balance ?? 0n;
    const available = balance > (p.value ?? 0n) ? balance - (p.value ?? 0n) : 0n;
    const allowance = available / price;
    if (allowance < hi) hi = allowance;
  }
  const run = (gas: bigint) => simulateCall(ctx, { ...p, gas }, overrides, opts);
  const top = await run(hi);
  if (top.error !== undefined) throw new EstimateGasFailure(top, hi);
  const probe = async (gas: bigint): Promise<boolean> => {
    try {
      return (await run(gas)).error === undefined;
    } catch (e) {
      if (e instanceof TxError && e.code === TxErrorCode.INTRINSIC_GAS_TOO_LOW) return false;
      throw e;
    }
  };
  let lo = minimumGasLimit({ to: p.to ?? null, data: p.data ?? new Uint8Array(0), accessList: p.accessList ?? [] }) - 1n;
  const optimistic = ((top.gasUsed + (top.exec.gasRefund ?? 0n) + 2_300n) * 64n) / 63n;
  if (optimistic < hi) {
    if (await probe(optimistic)) hi = optimistic;
    else lo = optimistic;
  }
  if (top.gasUsed - 1n > lo) lo = top.gasUsed - 1n;
  while (lo + 1n < hi) {
    // Early bisection near the low end: most calls need little more than they use.
    let mid = (lo + hi) / 2n;
    if (mid > lo * 2n) mid = lo * 2n;
    if (await probe(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
