import type { EVMResult, InterpreterStep, Message } from "@ethereumjs/evm";
import { bytesToHex, toQuantity } from "@zerog/core";
import type { BlockState } from "../../state/blockState.js";
import { decodeRevertReason } from "../revertReason.js";
import { forwardedGas, gethError, type TracedTx, type TraceOutcome, type Tracer } from "./replay.js";

export type CallType = "CALL" | "STATICCALL" | "DELEGATECALL" | "CALLCODE" | "CREATE" | "CREATE2" | "SELFDESTRUCT";

/** geth's `tracerConfig` for the callTracer. */
export interface CallTracerConfig {
  /** Only the top-level call, no sub-calls. */
  onlyTopCall?: boolean;
  /** Collect the logs each frame emits (dropped again for frames that fail). */
  withLog?: boolean;
}

interface CallLog {
  address: string;
  topics: string[];
  data: string;
  position: number;
}

interface CallFrame {
  type: CallType;
  from: string;
  to: string | undefined;
  value: bigint | undefined;
  gas: bigint;
  gasUsed: bigint;
  input: Uint8Array;
  output: Uint8Array | undefined;
  error: string | undefined;
  revertReason: string | undefined;
  calls: CallFrame[];
  logs: CallLog[];
}

/** One executing call frame; `frame` is null when the frame is not recorded (onlyTopCall). */
interface Scope {
  frame: CallFrame | null;
  isCreate: boolean;
  /** A CALL/CREATE opcode of this frame whose callee has not started (yet). */
  pending: InterpreterStep | undefined;
  selfdestruct: CallFrame | undefined;
  lastStep: InterpreterStep | undefined;
}

const TYPES: Record<number, CallType> = {
  240: "CREATE",
  241: "CALL",
  242: "CALLCODE",
  244: "DELEGATECALL",
  245: "CREATE2",
  250: "STATICCALL",
};

const CALL_STIPEND = 2300n;
const STACK_LIMIT = 1024;

/**
 * geth's `callTracer`: the tree of call frames of a transaction, with gas, input, output, errors,
 * decoded revert reasons and (with `withLog`) the logs each frame emitted.
 */
export class CallTracer implements Tracer {
  private readonly config: CallTracerConfig;
  private state!: BlockState;
  private gasLimit = 0n;
  private readonly scopes: Scope[] = [];
  private top: CallFrame | undefined;

  constructor(config: CallTracerConfig = {}) {
    this.config = config;
  }

  start(tx: TracedTx, state: BlockState): void {
    this.gasLimit = tx.gasLimit;
    this.state = state;
  }

  step(s: InterpreterStep): void {
    const scope = this.scopes[s.depth];
    if (!scope) return;
    // The previous CALL/CREATE finished without its callee starting: it failed before entering it.
    if (scope.pending) this.failFast(scope);
    scope.lastStep = s;
    const code = s.opcode.code;
    if (TYPES[code] !== undefined) scope.pending = s;
    else if (code >= 0xa0 && code <= 0xa4) this.log(scope, s, code - 0xa0);
    else if (code === 0xff && scope.frame && !this.config.onlyTopCall) scope.selfdestruct = this.selfdestructFrame(s);
  }

  enter(m: Message): void {
    const isCreate = m.to === undefined;
    if (m.depth === 0) {
      const frame = newFrame(isCreate ? "CREATE" : "CALL", m.caller.toString(), m.to?.toString(), m.value, this.gasLimit, m.data);
      this.top = frame;
      this.scopes.length = 0;
      this.scopes.push(scope(frame, isCreate));
      return;
    }
    const parent = this.scopes[m.depth - 1];
    const op = parent?.pending;
    if (parent) parent.pending = undefined;
    let frame: CallFrame | null = null;
    if (parent?.frame && !this.config.onlyTopCall) {
      const type = op ? TYPES[op.opcode.code]! : inferType(m);
      frame = messageFrame(type, m);
    }
    this.scopes.push(scope(frame, isCreate));
  }

  exit(r: EVMResult): void {
    const depth = this.scopes.length - 1;
    const s = this.scopes.pop();
    if (!s) return;
    const error = r.execResult.exceptionError?.error;
    if (s.pending && error === undefined) this.failFast(s);
    const f = s.frame;
    if (!f) return;
    f.gasUsed = r.execResult.executionGasUsed;
    if (error === undefined) {
      if (s.isCreate) f.to = r.createdAddress?.toString();
      if (r.execResult.returnValue.length > 0) f.output = r.execResult.returnValue.slice();
      if (s.selfdestruct) f.calls.push(s.selfdestruct);
    } else {
      setError(f, gethError(error, s.lastStep, s.isCreate), error === "revert" ? r.execResult.returnValue : undefined);
    }
    if (depth > 0) this.scopes[depth - 1]?.frame?.calls.push(f);
  }

  end(outcome: TraceOutcome): void {
    if (!this.top) return;
    // As geth: the top frame's gas is the transaction's, its gasUsed the receipt's.
    this.top.gasUsed = outcome.gasUsed;
    if (this.config.withLog) clearFailedLogs(this.top, false);
  }

  result(): Record<string, unknown> {
    if (!this.top) return {};
    return formatFrame(this.top);
  }

  private log(scope: Scope, s: InterpreterStep, topics: number): void {
    if (!this.config.withLog || !scope.frame) return;
    // An opcode that cannot pay fails its frame, whose logs are dropped anyway.
    if (s.gasLeft < (s.opcode.dynamicFee ?? 0n)) return;
    const st = s.stack;
    const at = (i: number): bigint => st[st.length - 1 - i] ?? 0n;
    scope.frame.logs.push({
      address: s.address.toString(),
      topics: Array.from({ length: topics }, (_, i) => word(at(2 + i))),
      data: bytesToHex(memorySlice(s.memory, at(0), at(1))),
      position: scope.frame.calls.length,
    });
  }

  private selfdestructFrame(s: InterpreterStep): CallFrame {
    const beneficiary = s.stack[s.stack.length - 1] ?? 0n;
    const balance = this.state.readAccount(s.address.bytes)?.balance ?? 0n;
    return newFrame("SELFDESTRUCT", s.address.toString(), address(beneficiary), balance, 0n, new Uint8Array(0));
  }

  /** Records a CALL/CREATE that never entered its callee (call depth, balance), as geth does. */
  private failFast(scope: Scope): void {
    const s = scope.pending!;
    scope.pending = undefined;
    if (!scope.frame || this.config.onlyTopCall) return;
    const code = s.opcode.code;
    const type = TYPES[code]!;
    const st = s.stack;
    const at = (i: number): bigint => st[st.length - 1 - i] ?? 0n;
    const cost = s.opcode.dynamicFee ?? BigInt(s.opcode.fee);
    let frame: CallFrame;
    if (type === "CREATE" || type === "CREATE2") {
      const available = s.gasLeft - cost;
      const input = memorySlice(s.memory, at(1), at(2));
      frame = newFrame(type, s.address.toString(), undefined, at(0), available - available / 64n, input);
    } else {
      const withValue = type === "CALL" || type === "CALLCODE";
      const value = withValue ? at(2) : type === "DELEGATECALL" ? (scope.frame.value ?? 0n) : undefined;
      const args = withValue ? 3 : 2;
      const gas = forwardedGas(s, cost) + (withValue && at(2) > 0n ? CALL_STIPEND : 0n);
      const input = memorySlice(s.memory, at(args), at(args + 1));
      frame = newFrame(type, s.address.toString(), address(at(1)), value, gas, input);
    }
    frame.error = s.depth + 1 > STACK_LIMIT ? "max call depth exceeded" : "insufficient balance for transfer";
    scope.frame.calls.push(frame);
  }
}

function scope(frame: CallFrame | null, isCreate: boolean): Scope {
  return { frame, isCreate, pending: undefined, selfdestruct: undefined, lastStep: undefined };
}

function newFrame(
  type: CallType,
  from: string,
  to: string | undefined,
  value: bigint | undefined,
  gas: bigint,
  input: Uint8Array,
): CallFrame {
  return {
    type,
    from,
    to,
    value,
    gas,
    gasUsed: 0n,
    // The EVM hands out views of the caller's memory, which later opcodes overwrite.
    input: input.slice(),
    output: undefined,
    error: undefined,
    revertReason: undefined,
    calls: [],
    logs: [],
  };
}

/** A callee's frame as geth reports it: DELEGATECALL and CALLCODE name the code's address as `to`. */
function messageFrame(type: CallType, m: Message): CallFrame {
  switch (type) {
    case "CREATE":
    case "CREATE2":
      return newFrame(type, m.caller.toString(), undefined, m.value, m.gasLimit, m.data);
    case "DELEGATECALL":
      return newFrame(type, m.to!.toString(), m.codeAddress.toString(), m.value, m.gasLimit, m.data);
    case "CALLCODE":
      return newFrame(type, m.caller.toString(), m.codeAddress.toString(), m.value, m.gasLimit, m.data);
    case "STATICCALL":
      return newFrame(type, m.caller.toString(), m.to!.toString(), undefined, m.gasLimit, m.data);
    default:
      return newFrame(type, m.caller.toString(), m.to!.toString(), m.value, m.gasLimit, m.data);
  }
}

function inferType(m: Message): CallType {
  if (m.to === undefined) return m.salt ? "CREATE2" : "CREATE";
  if (m.delegatecall) return "DELEGATECALL";
  return m.codeAddress.equals(m.to) ? "CALL" : "CALLCODE";
}

function setError(f: CallFrame, error: string, revertData: Uint8Array | undefined): void {
  f.error = error;
  // A failed creation has no address.
  if (f.type === "CREATE" || f.type === "CREATE2") f.to = undefined;
  if (!revertData || revertData.length === 0) return;
  f.output = revertData.slice();
  f.revertReason = decodeRevertReason(revertData);
}

/** Logs of failed frames were reverted, and so were those of their sub-calls. */
function clearFailedLogs(f: CallFrame, parentFailed: boolean): void {
  const failed = parentFailed || f.error !== undefined;
  if (failed) f.logs = [];
  for (const c of f.calls) clearFailedLogs(c, failed);
}

function formatFrame(f: CallFrame): Record<string, unknown> {
  const out: Record<string, unknown> = { from: f.from, gas: toQuantity(f.gas), gasUsed: toQuantity(f.gasUsed) };
  if (f.to !== undefined) out.to = f.to;
  out.input = bytesToHex(f.input);
  if (f.output !== undefined && f.output.length > 0) out.output = bytesToHex(f.output);
  if (f.error !== undefined) out.error = f.error;
  if (f.revertReason !== undefined) out.revertReason = f.revertReason;
  if (f.calls.length > 0) out.calls = f.calls.map(formatFrame);
  if (f.logs.length > 0) out.logs = f.logs.map((l) => ({ ...l, position: toQuantity(l.position) }));
  if (f.value !== undefined) out.value = toQuantity(f.value);
  out.type = f.type;
  return out;
}

/** `length` bytes of memory from `offset`, zero beyond what the frame has touched. */
export function memorySlice(memory: Uint8Array, offset: bigint, length: bigint): Uint8Array {
  if (length === 0n) return new Uint8Array(0);
  const out = new Uint8Array(Number(length));
  const start = Number(offset);
  if (start < memory.length) out.set(memory.subarray(start, Math.min(memory.length, start + out.length)));
  return out;
}

function word(v: bigint): string {
  return `0x${v.toString(16).padStart(64, "0")}`;
}

function address(v: bigint): string {
  return `0x${(v & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`;
}
