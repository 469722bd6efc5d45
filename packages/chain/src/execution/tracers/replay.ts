import type { Common } from "@ethereumjs/common";
import type { EVMResult, InterpreterStep, Message } from "@ethereumjs/evm";
import { ZgError } from "@zerog/core";
import type { BlockHeader } from "../../block/header.js";
import { BlockState } from "../../state/blockState.js";
import type { StateReader } from "../../state/stateReader.js";
import type { ChainStore, StoredBlock } from "../../store/chainStore.js";
import type { SignedTx } from "../../tx/transaction.js";
import type { BlockEnv } from "../blockEnv.js";
import { BlockExecutor, type TxOutcome } from "../blockExecutor.js";

export enum TracerErrorCode {
  /** The trace grew past what one answer may hold. */
  LIMIT_EXCEEDED = "TRACER_LIMIT_EXCEEDED",
  /** The trace ran longer than its timeout. */
  TIMEOUT = "TRACER_TIMEOUT",
}

export type TracerErrorType =
  | { code: TracerErrorCode.LIMIT_EXCEEDED; limit: number; unit: string }
  | { code: TracerErrorCode.TIMEOUT; timeoutMs: number };

/** Thrown from a tracer hook to abort the traced execution; the replayed state is then unusable. */
export class TracerError extends ZgError<TracerErrorType> {}

/** What a tracer knows of the transaction (or call) before it runs. */
export interface TracedTx {
  /** The transaction's gas limit, before intrinsic gas is taken. */
  gasLimit: bigint;
}

/** How the traced transaction ended, as its receipt reports it. */
export interface TraceOutcome {
  /** Gas charged (after refunds and the calldata floor), the receipt's gasUsed. */
  gasUsed: bigint;
  returnValue: Uint8Array;
  /** The EVM's error for a failed transaction (`revert`, `out of gas`, ...). */
  error: string | undefined;
}

/**
 * Follows one transaction through the EVM's events and builds a JSON answer. Hooks are synchronous:
 * a tracer that throws aborts execution.
 */
export interface Tracer {
  start(tx: TracedTx, state: BlockState): void;
  step?(step: InterpreterStep): void;
  enter?(message: Message): void;
  exit?(result: EVMResult): void;
  end(outcome: TraceOutcome): void;
  result(): unknown;
}

export interface TraceDeadline {
  /** Milliseconds on `now`'s clock after which tracing aborts with `TracerError(TIMEOUT)`. */
  at: number;
  timeoutMs: number;
  now(): number;
}

/** Attaches `tracer` to the executor's EVM; returns the function that detaches it. */
export function attachTracer(executor: BlockExecutor, tracer: Tracer, tx: TracedTx, deadline: TraceDeadline): () => void {
  const events = executor.evmInstance.events;
  let steps = 0;
  const step = (s: InterpreterStep): void => {
    // Reading the clock every step would cost more than most opcodes.
    if ((++steps & 255) === 1 && deadline.now() >= deadline.at) {
      throw new TracerError({ code: TracerErrorCode.TIMEOUT, timeoutMs: deadline.timeoutMs }, "execution timeout");
    }
    tracer.step?.(s);
  };
  const enter = (m: Message): void => tracer.enter?.(m);
  const exit = (r: EVMResult): void => tracer.exit?.(r);
  tracer.start(tx, executor.state);
  events.on("step", step);
  events.on("beforeMessage", enter);
  events.on("afterMessage", exit);
  return () => {
    events.off("step", step);
    events.off("beforeMessage", enter);
    events.off("afterMessage", exit);
  };
}

/** The environment block `header` executed in (its own fields, not the next block's). */
export function blockEnvOf(store: ChainStore, header: BlockHeader): BlockEnv {
  const n = header.number;
  return {
    number: n,
    timestamp: header.timestamp,
    coinbase: header.coinbase,
    gasLimit: header.gasLimit,
    baseFeePerGas: header.baseFeePerGas,
    prevRandao: header.mixHash,
    getBlockHash: (k) => (k < n && k + 256n >= n ? store.hashByNumber(k) : undefined),
  };
}

export interface ReplayDeps {
  common: Common;
  store: ChainStore;
  /** The state after `block` (a block's replay starts from its parent's). */
  stateAt(block: StoredBlock): StateReader;
}

/**
 * Re-executes a stored block on its parent's state, transaction by transaction: untraced ones on
 * the fast path, traced ones through the EVM with every call frame visible.
 */
export class BlockReplay {
  private readonly fast: BlockExecutor;
  private readonly full: BlockExecutor;

  private constructor(fast: BlockExecutor, full: BlockExecutor) {
    this.fast = fast;
    this.full = full;
  }

  /** Opens the replay of `block` at its start; `parent` is the block before it. */
  static async open(deps: ReplayDeps, block: StoredBlock, parent: StoredBlock): Promise<BlockReplay> {
    const state = new BlockState(deps.stateAt(parent));
    const env = blockEnvOf(deps.store, block.header);
    const fast = await BlockExecutor.create(deps.common, env, state);
    const full = await BlockExecutor.create(deps.common, env, state, { fastTransfers: false });
    return new BlockReplay(fast, full);
  }

  /** Executes transactions without tracing them. */
  async skip(txs: readonly SignedTx[]): Promise<void> {
    for (const tx of txs) await this.fast.applyTx(tx);
  }

  /** Executes the next transaction with `tracer` attached; returns the tracer's answer. */
  async trace(tx: SignedTx, tracer: Tracer, deadline: TraceDeadline): Promise<{ result: unknown; outcome: TxOutcome }> {
    const detach = attachTracer(this.full, tracer, { gasLimit: tx.gasLimit }, deadline);
    let outcome: TxOutcome;
    try {
      outcome = await this.full.applyTx(tx);
    } finally {
      detach();
    }
    tracer.end({ gasUsed: outcome.gasUsed, returnValue: outcome.returnValue, error: outcome.error });
    return { result: tracer.result(), outcome };
  }
}

/** geth's name for an opcode (geth still calls 0x44 DIFFICULTY). */
export function gethOpName(step: InterpreterStep): string {
  return step.opcode.code === 0x44 ? "DIFFICULTY" : step.opcode.name;
}

/** The gas an opcode costs, as geth's tracers report it: for the CALL family, with the gas it forwards. */
export function stepCost(step: InterpreterStep): bigint {
  const cost = step.opcode.dynamicFee ?? BigInt(step.opcode.fee);
  const code = step.opcode.code;
  if (code !== 0xf1 && code !== 0xf2 && code !== 0xf4 && code !== 0xfa) return cost;
  return cost + forwardedGas(step, cost);
}

/** The gas a CALL-family opcode hands its callee (EIP-150: all but one 64th at most), without the stipend. */
export function forwardedGas(step: InterpreterStep, cost: bigint): bigint {
  const available = step.gasLeft - cost;
  const requested = step.stack[step.stack.length - 1] ?? 0n;
  if (available <= 0n) return 0n;
  const cap = available - available / 64n;
  return requested < cap ? requested : cap;
}

/** A code-deposit failure: the creation's RETURN itself was paid for, storing the code was not. */
function isCodeStoreFailure(lastStep: InterpreterStep | undefined, isCreate: boolean): boolean {
  if (!isCreate || lastStep === undefined || lastStep.opcode.code !== 0xf3) return false;
  return lastStep.gasLeft >= (lastStep.opcode.dynamicFee ?? BigInt(lastStep.opcode.fee));
}

/**
 * Whether a frame's error belongs to its last opcode and arose before that opcode ran (gas, stack
 * checks): geth reports those on the opcode's struct log, and the others only on the frame.
 */
export function failedAtOpcode(error: string, lastStep: InterpreterStep | undefined, isCreate: boolean): boolean {
  if (lastStep === undefined) return false;
  if (error === "out of gas") return !isCodeStoreFailure(lastStep, isCreate);
  return error === "stack underflow" || error === "stack overflow";
}

/** geth's wording of an ethereumjs EVM error (tools match on these strings). */
export function gethError(error: string, lastStep: InterpreterStep | undefined, isCreate: boolean): string {
  switch (error) {
    case "revert":
      return "execution reverted";
    case "out of gas":
      return isCodeStoreFailure(lastStep, isCreate) ? "contract creation code storage out of gas" : "out of gas";
    case "invalid opcode":
      return `invalid opcode: ${lastStep ? gethOpName(lastStep) : "INVALID"}`;
    case "invalid JUMP":
      return "invalid jump destination";
    case "stack overflow":
      // The limit is 1023 for the opcodes that can overflow in practice (PUSH, DUP: one net push).
      return `stack limit reached ${lastStep ? lastStep.stack.length : 1024} (1023)`;
    case "static state change":
      return "write protection";
    case "create collision":
      return "contract address collision";
    case "code size to deposit exceeds maximum code size":
      return "max code size exceeded";
    case "invalid bytecode deployed":
      return "invalid code: must not begin with 0xef";
    case "initcode exceeds max initcode size":
      return "max initcode size exceeded";
    case "value out of range":
      return "return data out of bounds";
    case "insufficient balance":
      return "insufficient balance for transfer";
    default:
      return error;
  }
}
