import type { EVMResult, InterpreterStep, Message } from "@ethereumjs/evm";
import { bytesToHex } from "@zerog/core";
import type { BlockState } from "../../state/blockState.js";
import {
  failedAtOpcode,
  gethError,
  gethOpName,
  stepCost,
  type TracedTx,
  type TraceOutcome,
  type Tracer,
  TracerError,
  TracerErrorCode,
} from "./replay.js";

/** geth's struct logger options (`logger.Config`). */
export interface StructLoggerConfig {
  enableMemory?: boolean;
  disableStack?: boolean;
  disableStorage?: boolean;
  enableReturnData?: boolean;
}

/** How much one answer may hold; shared by the transactions of a traced block. */
export interface StructLogBudget {
  maxEntries: number;
  /** Approximate JSON size of the struct logs. */
  maxBytes: number;
  entries: number;
  bytes: number;
}

export function structLogBudget(maxEntries: number, maxBytes: number): StructLogBudget {
  return { maxEntries, maxBytes, entries: 0, bytes: 0 };
}

const EMPTY = new Uint8Array(0);
const hex64 = (v: bigint): string => v.toString(16).padStart(64, "0");
const slotHex = (b: Uint8Array): string => bytesToHex(b).slice(2).padStart(64, "0");

/** Per executing frame: what its next struct log needs and where its last one is. */
interface Scope {
  isCreate: boolean;
  returnData: Uint8Array;
  lastStep: InterpreterStep | undefined;
  lastEntry: Record<string, unknown> | undefined;
}

/**
 * geth's default tracer: one entry per executed opcode with pc, gas, cost, depth, stack and,
 * on request, memory, storage touched so far and the last call's return data.
 */
export class StructLogger implements Tracer {
  private readonly config: StructLoggerConfig;
  private readonly budget: StructLogBudget;
  private state!: BlockState;
  private readonly logs: Record<string, unknown>[] = [];
  private readonly storage = new Map<string, Map<string, string>>();
  private readonly scopes: Scope[] = [];
  private outcome: TraceOutcome | undefined;

  constructor(config: StructLoggerConfig, budget: StructLogBudget) {
    this.config = config;
    this.budget = budget;
  }

  start(_tx: TracedTx, state: BlockState): void {
    this.state = state;
  }

  step(s: InterpreterStep): void {
    const scope = this.scopes[s.depth];
    if (!scope) return;
    const b = this.budget;
    if (++b.entries > b.maxEntries) this.overLimit(b.maxEntries, "struct logs");
    const entry: Record<string, unknown> = {
      pc: s.pc,
      op: gethOpName(s),
      gas: Number(s.gasLeft),
      gasCost: Number(stepCost(s)),
      depth: s.depth + 1,
    };
    let size = 80;
    if (!this.config.disableStack) {
      const stack = s.stack.map((v) => `0x${v.toString(16)}`);
      for (const v of stack) size += v.length + 3;
      entry.stack = stack;
    }
    if (this.config.enableReturnData && scope.returnData.length > 0) {
      const returnData = bytesToHex(scope.returnData);
      entry.returnData = returnData;
      size += returnData.length;
    }
    if (this.config.enableMemory && s.memory.length > 0) {
      const words: string[] = [];
      const hex = bytesToHex(s.memory).slice(2);
      for (let i = 0; i < hex.length; i += 64) words.push(hex.slice(i, i + 64));
      entry.memory = words;
      size += words.length * 67;
    }
    const code = s.opcode.code;
    if (!this.config.disableStorage && (code === 0x54 || code === 0x55)) {
      const storage = this.touchStorage(s, code);
      if (storage) {
        entry.storage = storage;
        size += Object.keys(storage).length * 134;
      }
    }
    if (s.gasRefund > 0n) entry.refund = Number(s.gasRefund);
    b.bytes += size;
    if (b.bytes > b.maxBytes) this.overLimit(b.maxBytes, "bytes of struct logs");
    this.logs.push(entry);
    scope.lastStep = s;
    scope.lastEntry = entry;
    // A CALL or CREATE replaces the return data, with nothing if it fails before starting.
    if (code === 0xf0 || code === 0xf1 || code === 0xf2 || code === 0xf4 || code === 0xf5 || code === 0xfa) scope.returnData = EMPTY;
  }

  enter(m: Message): void {
    if (m.depth === 0) this.scopes.length = 0;
    this.scopes.push({ isCreate: m.to === undefined, returnData: EMPTY, lastStep: undefined, lastEntry: undefined });
  }

  exit(r: EVMResult): void {
    const s = this.scopes.pop();
    if (!s) return;
    const error = r.execResult.exceptionError?.error;
    if (error !== undefined && s.lastEntry && failedAtOpcode(error, s.lastStep, s.isCreate)) {
      // geth checks gas and stack before logging the opcode, so the failing opcode carries the error.
      // Keep `error` before `stack` as geth orders the fields.
      const { pc, op, gas, gasCost, depth, ...rest } = s.lastEntry;
      const replaced = { pc, op, gas, gasCost, depth, error: gethError(error, s.lastStep, s.isCreate), ...rest };
      const at = this.logs.lastIndexOf(s.lastEntry);
      if (at >= 0) this.logs[at] = replaced;
    }
    const parent = this.scopes[this.scopes.length - 1];
    if (!parent || !this.config.enableReturnData) return;
    const keep = s.isCreate ? error === "revert" : error === undefined || error === "revert";
    parent.returnData = keep ? r.execResult.returnValue : EMPTY;
  }

  end(outcome: TraceOutcome): void {
    this.outcome = outcome;
  }

  result(): Record<string, unknown> {
    const o = this.outcome;
    const failed = o?.error !== undefined;
    // The return data on success, the revert data on a revert, nothing on other failures.
    const returnValue = o && (!failed || o.error === "revert") ? o.returnValue : EMPTY;
    return { gas: Number(o?.gasUsed ?? 0n), failed, returnValue: bytesToHex(returnValue), structLogs: this.logs };
  }

  /** The storage of the executing contract as this trace has seen it, after an SLOAD or SSTORE. */
  private touchStorage(s: InterpreterStep, code: number): Record<string, string> | undefined {
    const st = s.stack;
    const key = st[st.length - 1];
    if (key === undefined || (code === 0x55 && st.length < 2)) return undefined;
    const a = bytesToHex(s.address.bytes).slice(2);
    let slots = this.storage.get(a);
    if (!slots) {
      slots = new Map();
      this.storage.set(a, slots);
    }
    const k = hex64(key);
    if (code === 0x54) {
      const slot = Buffer.from(k, "hex");
      slots.set(k, slotHex(this.state.readStorage(a, s.address.bytes, slot)));
    } else {
      slots.set(k, hex64(st[st.length - 2]!));
    }
    return Object.fromEntries(slots);
  }

  private overLimit(limit: number, unit: string): never {
    throw new TracerError(
      { code: TracerErrorCode.LIMIT_EXCEEDED, limit, unit },
      `trace exceeds the limit of ${limit} ${unit}: trace again with {"disableStack": true, "disableStorage": true} and without "enableMemory", ` +
        `trace a single transaction, or use {"tracer": "callTracer"}`,
    );
  }
}
