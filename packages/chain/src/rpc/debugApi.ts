import { bytesToHex, hexToBytes, type JsonRpcServer, ParamError, type ParamSchema, p, RpcError } from "@zerog/core";
import type { BlockHeader } from "../block/header.js";
import { TxError } from "../errors.js";
import { type StateOverrides, simulateCall } from "../execution/simulate.js";
import { CallTracer, type CallTracerConfig } from "../execution/tracers/callTracer.js";
import { attachTracer, BlockReplay, type ReplayDeps, type TraceDeadline, type Tracer, TracerError } from "../execution/tracers/replay.js";
import { type StructLogBudget, StructLogger, type StructLoggerConfig, structLogBudget } from "../execution/tracers/structLogger.js";
import type { StoredBlock } from "../store/chainStore.js";
import type { RPCContext } from "./context.js";
import { callContext } from "./ethCall.js";
import { blockParam, callParams, stateOverrides } from "./schemas.js";

export interface DebugAPIOptions {
  /** Timeout of one transaction's trace when the request names none (geth: 5s). */
  defaultTimeoutMs: number;
  /** The longest timeout a request may ask for. */
  maxTimeoutMs: number;
  /** Most struct logs one answer holds (all transactions of a traced block together). */
  maxStructLogs: number;
  /** Most bytes (of JSON, approximately) of struct logs one answer holds. */
  maxStructLogBytes: number;
}

export const defaultDebugAPIOptions: DebugAPIOptions = {
  defaultTimeoutMs: 5_000,
  maxTimeoutMs: 60_000,
  maxStructLogs: 100_000,
  maxStructLogBytes: 128 * 1024 * 1024,
};

type TracerChoice = { name: "callTracer"; config: CallTracerConfig } | { name: "structLogger"; config: StructLoggerConfig };

/** geth's TraceConfig, parsed; `timeoutMs` undefined when the request names none. */
interface TraceConfig {
  tracer: TracerChoice;
  timeoutMs: number | undefined;
}

interface TraceCallConfig extends TraceConfig {
  stateOverrides: StateOverrides | undefined;
  blockOverrides: Partial<BlockHeader>;
}

/** debug_traceTransaction, debug_traceCall, debug_traceBlockByNumber and debug_traceBlockByHash. */
export function registerDebugMethods(server: JsonRpcServer, ctx: RPCContext, options: Partial<DebugAPIOptions> = {}): void {
  const opts = { ...defaultDebugAPIOptions, ...options };
  const ex = ctx.execution;
  const deps: ReplayDeps = { common: ex.common, store: ex.store, stateAt: (b) => ctx.stateAt(b) };
  const deadline = (c: TraceConfig): TraceDeadline => {
    const timeoutMs = Math.min(c.timeoutMs ?? opts.defaultTimeoutMs, opts.maxTimeoutMs);
    return { at: performance.now() + timeoutMs, timeoutMs, now: () => performance.now() };
  };
  const newTracer = (c: TraceConfig, budget: StructLogBudget): Tracer =>
    c.tracer.name === "callTracer" ? new CallTracer(c.tracer.config) : new StructLogger(c.tracer.config, budget);
  const budget = () => structLogBudget(opts.maxStructLogs, opts.maxStructLogBytes);

  const openReplay = async (block: StoredBlock): Promise<BlockReplay> => {
    if (block.header.number === 0n) throw RpcError.fromCode(-32000, "genesis is not traceable");
    const parent = ex.store.blockByHash(block.header.parentHash);
    if (!parent) throw RpcError.fromCode(-32000, `parent ${bytesToHex(block.header.parentHash)} not found`);
    return BlockReplay.open(deps, block, parent);
  };

  const traceBlock = async (block: StoredBlock, c: TraceConfig) => {
    const txs = ctx.blockTxs(block);
    const replay = await openReplay(block);
    const shared = budget();
    const results = [];
    for (const tx of txs) {
      const { result } = await replay.trace(tx, newTracer(c, shared), deadline(c));
      results.push({ txHash: bytesToHex(tx.hash), result });
    }
    return results;
  };

  server.register("debug_traceTransaction", {
    params: [p.hash(), traceConfig()],
    handler: ([hash, c]) =>
      traced(async () => {
        const found = ex.store.tx(hexToBytes(hash));
        const block = found && ex.store.blockByNumber(found.height);
        if (!found || !block) throw RpcError.fromCode(-32000, "transaction not found");
        const txs = ctx.blockTxs(block);
        const tx = txs[found.index];
        if (!tx || bytesToHex(tx.hash) !== hash) throw RpcError.fromCode(-32000, "transaction not found");
        const replay = await openReplay(block);
        await replay.skip(txs.slice(0, found.index));
        return (await replay.trace(tx, newTracer(c, budget()), deadline(c))).result;
      }),
  });

  server.register("debug_traceCall", {
    params: [callParams(), blockParam(), traceCallConfig()],
    handler: ([call, tag, c]) =>
      traced(async () => {
        const block = ctx.blockOrHash(tag);
        const cc = callContext(ctx, block);
        cc.header = { ...cc.header, ...c.blockOverrides };
        const tracer = newTracer(c, budget());
        const gasLimit = call.gas === undefined || call.gas > ctx.opts.gasCap ? ctx.opts.gasCap : call.gas;
        let detach: (() => void) | undefined;
        try {
          const r = await simulateCall(cc, call, c.stateOverrides, {
            gasCap: ctx.opts.gasCap,
            fullEVM: true,
            beforeRun: (executor) => {
              detach = attachTracer(executor, tracer, { gasLimit }, deadline(c));
            },
          });
          tracer.end({ gasUsed: r.gasUsed, returnValue: r.exec.returnValue, error: r.error });
        } finally {
          detach?.();
        }
        return tracer.result();
      }),
  });

  server.register("debug_traceBlockByNumber", {
    params: [p.blockTag(), traceConfig()],
    handler: ([tag, c]) =>
      traced(async () => {
        const block = ctx.block(tag);
        if (!block) throw RpcError.fromCode(-32000, `block #${tag} not found`);
        return traceBlock(block, c);
      }),
  });

  server.register("debug_traceBlockByHash", {
    params: [p.hash(), traceConfig()],
    handler: ([hash, c]) =>
      traced(async () => {
        const block = ctx.blockByHash(hash);
        if (!block) throw RpcError.fromCode(-32000, `block ${hash} not found`);
        return traceBlock(block, c);
      }),
  });
}

/** Tracing failures as geth words them. */
async function traced<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof TracerError) throw RpcError.fromCode(-32000, e.message);
    if (e instanceof TxError) throw RpcError.fromCode(-32000, `tracing failed: ${e.message}`);
    throw e;
  }
}

const TRACER_NAMES = ["callTracer", "structLogger"];

const configObject = p.object(
  {
    tracer: p.optional(p.string({ maxLength: 256 })),
    tracerConfig: p.optional(p.any()),
    disableStorage: p.optional(p.bool()),
    disableStack: p.optional(p.bool()),
    enableMemory: p.optional(p.bool()),
    enableReturnData: p.optional(p.bool()),
    timeout: p.optional(p.string({ maxLength: 64 })),
    reexec: p.optional(p.number({ integer: true, min: 0 })),
  },
  { optional: ["tracer", "tracerConfig", "disableStorage", "disableStack", "enableMemory", "enableReturnData", "timeout", "reexec"] },
);

const callTracerConfig = p.object(
  { onlyTopCall: p.optional(p.bool()), withLog: p.optional(p.bool()) },
  { optional: ["onlyTopCall", "withLog"] },
);

function parseConfig(v: unknown): TraceConfig {
  const o = configObject.parse(v);
  const name = o.tracer ?? "structLogger";
  if (!TRACER_NAMES.includes(name)) {
    throw RpcError.invalidParams(
      `tracer ${JSON.stringify(name)} is not supported: use "callTracer", or leave "tracer" out for the struct logger`,
    );
  }
  let tracer: TracerChoice;
  if (name === "callTracer") {
    const t = o.tracerConfig === undefined ? {} : within("tracerConfig", () => callTracerConfig.parse(o.tracerConfig));
    tracer = { name, config: { onlyTopCall: t.onlyTopCall ?? false, withLog: t.withLog ?? false } };
  } else {
    const config: StructLoggerConfig = {};
    if (o.disableStorage !== undefined) config.disableStorage = o.disableStorage;
    if (o.disableStack !== undefined) config.disableStack = o.disableStack;
    if (o.enableMemory !== undefined) config.enableMemory = o.enableMemory;
    if (o.enableReturnData !== undefined) config.enableReturnData = o.enableReturnData;
    tracer = { name: "structLogger", config };
  }
  const timeoutMs = o.timeout === undefined ? undefined : within("timeout", () => parseDuration(o.timeout!));
  return { tracer, timeoutMs };
}

/** geth's TraceConfig: `{tracer, tracerConfig, disableStorage, disableStack, enableMemory, enableReturnData, timeout}`. */
const traceConfig = () => optionalObject(p.custom("trace config", (v) => parseConfig(v ?? {})));

/** A trailing argument that may be left out, parsed (from `{}`) even then. */
function optionalObject<T>(s: ParamSchema<T>): ParamSchema<T> {
  return { ...s, optional: true, nullable: true };
}

const blockOverridesObject = p.object(
  {
    number: p.optional(p.quantity({ bits: 64 })),
    time: p.optional(p.quantity({ bits: 64 })),
    gasLimit: p.optional(p.quantity({ bits: 64 })),
    feeRecipient: p.optional(p.address()),
    prevRandao: p.optional(p.hash()),
    baseFeePerGas: p.optional(p.quantity()),
  },
  { optional: ["number", "time", "gasLimit", "feeRecipient", "prevRandao", "baseFeePerGas"] },
);

/** geth's TraceCallConfig: a TraceConfig plus `stateOverrides` and `blockOverrides`. */
const traceCallConfig = () =>
  optionalObject(
    p.custom("trace call config", (v): TraceCallConfig => {
      const base = v ?? {};
      const c = parseConfig(base);
      const raw = base as { stateOverrides?: unknown; blockOverrides?: unknown };
      const overrides = within("stateOverrides", () => stateOverrides().parse(raw.stateOverrides));
      const blockOverrides: Partial<BlockHeader> = {};
      if (raw.blockOverrides !== undefined && raw.blockOverrides !== null) {
        const b = within("blockOverrides", () => blockOverridesObject.parse(raw.blockOverrides));
        if (b.number !== undefined) blockOverrides.number = b.number;
        if (b.time !== undefined) blockOverrides.timestamp = b.time;
        if (b.gasLimit !== undefined) blockOverrides.gasLimit = b.gasLimit;
        if (b.feeRecipient !== undefined) blockOverrides.coinbase = hexToBytes(b.feeRecipient);
        if (b.prevRandao !== undefined) blockOverrides.mixHash = hexToBytes(b.prevRandao);
        if (b.baseFeePerGas !== undefined) blockOverrides.baseFeePerGas = b.baseFeePerGas;
      }
      return { ...c, stateOverrides: overrides, blockOverrides };
    }),
  );

function within<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof ParamError ? e.within(field) : e;
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go duration (`"10s"`, `"1m30s"`, `"500ms"`) in milliseconds, as geth's `timeout` takes it. */
export function parseDuration(s: string): number {
  const invalid = () => new ParamError(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s.startsWith("-") || s.startsWith("+") ? s.slice(1) : s;
  const sign = s.startsWith("-") ? -1 : 1;
  if (rest === "0") return 0;
  if (rest === "") throw invalid();
  let total = 0;
  while (rest !== "") {
    const m = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m) throw invalid();
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}
