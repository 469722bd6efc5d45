import { isZgError, type ZgError } from "../errors.js";
import type { Logger } from "../logger.js";
import { JsonRpcErrorCode, JsonRpcServerError, ParamError, RPC_ERROR_CODES, RpcError } from "./errors.js";
import { type LiftedBody, liftLongStrings, restoreSpans } from "./liftStrings.js";
import { type ParamSchema, parseParams } from "./params.js";
import { RawJSON, rawResponse } from "./rawJSON.js";
import type { RpcCallStatus, RpcMetrics } from "./rpcMetrics.js";
import type { JsonRpcId, JsonRpcResponse, MethodDefinition, RpcContext } from "./types.js";

/** Turns a domain error into the JSON-RPC error clients see; null leaves it an internal error. */
export type RpcErrorMapper = (error: ZgError<{ code: string }>) => RpcError | null;

export interface RpcDispatcherDeps {
  logger: Logger;
  metrics: RpcMetrics | null;
  errorMapper?: RpcErrorMapper;
}

interface RegisteredMethod {
  schemas: readonly ParamSchema<unknown>[];
  rawStrings: boolean;
  handler: (params: unknown[], ctx: RpcContext) => unknown;
}

interface ValidRequest {
  id: JsonRpcId;
  notification: boolean;
  method: string;
  params: unknown;
}

/** Transport-independent JSON-RPC 2.0: envelope checks, batches, params, error mapping, metrics. */
export class RpcDispatcher {
  private readonly registry = new Map<string, RegisteredMethod>();
  /** Whether any method takes RawJSONString params: only then are bodies searched for long strings. */
  private lifting = false;
  private readonly maxBatchSize: number;
  private readonly deps: RpcDispatcherDeps;

  constructor(maxBatchSize: number, deps: RpcDispatcherDeps) {
    this.maxBatchSize = maxBatchSize;
    this.deps = deps;
  }

  register<const S extends readonly ParamSchema<unknown>[]>(name: string, def: MethodDefinition<S>): void {
    if (this.registry.has(name)) {
      throw new JsonRpcServerError({ code: JsonRpcErrorCode.ALREADY_REGISTERED, name }, `method ${name} is already registered`);
    }
    const rawStrings = def.rawStrings === true;
    this.registry.set(name, { schemas: def.params, rawStrings, handler: def.handler as unknown as RegisteredMethod["handler"] });
    this.lifting ||= rawStrings;
  }

  methods(): string[] {
    return [...this.registry.keys()].sort();
  }

  /**
   * Answers one HTTP body or WebSocket message with the UTF-8 bytes of the response (encoded once, so HTTP takes its
   * Content-Length from the buffer); null when there is nothing to send back.
   */
  async handleBody(body: Buffer, ctx: RpcContext): Promise<Buffer | null> {
    const lifted = this.lifting ? liftLongStrings(body) : null;
    let msg = lifted ? this.parseLifted(lifted) : undefined;
    try {
      msg ??= JSON.parse(body.toString("utf8"));
    } catch (e) {
      const detail = e instanceof SyntaxError ? `: ${e.message.slice(0, 200)}` : "";
      return stringify(errorResponse(null, RpcError.fromCode(RPC_ERROR_CODES.PARSE_ERROR, `parse error${detail}`)));
    }
    if (!Array.isArray(msg)) return this.handleCall(msg, ctx);
    if (msg.length === 0) return stringify(errorResponse(null, RpcError.invalidRequest("empty batch")));
    if (msg.length > this.maxBatchSize) {
      const reason = `batch too large: ${msg.length} requests, limit ${this.maxBatchSize}`;
      return stringify(errorResponse(null, RpcError.invalidRequest(reason)));
    }
    // Calls start in order and run concurrently: each handler runs synchronously up to its first
    // await in batch order, so work handlers queue (signature recovery) batches up across the
    // whole request, and a sender's transactions still reach the pool in nonce order.
    const outs = await Promise.all(msg.map((item) => this.handleCall(item, ctx)));
    const parts: Buffer[] = [];
    for (const o of outs) {
      if (o === null) continue;
      parts.push(parts.length === 0 ? OPEN : COMMA, o);
    }
    if (parts.length === 0) return null;
    parts.push(CLOSE);
    return Buffer.concat(parts);
  }

  /**
   * The request with its lifted strings as RawJSONString in the params of `rawStrings` methods; undefined when the
   * text does not parse or a lifted string sits anywhere else (then the body is parsed as it is).
   */
  private parseLifted(lifted: LiftedBody): unknown {
    let msg: unknown;
    try {
      msg = JSON.parse(lifted.text);
    } catch {
      return undefined;
    }
    const used = new Uint8Array(lifted.spans.length);
    let placed = 0;
    for (const call of Array.isArray(msg) ? msg : [msg]) {
      if (typeof call !== "object" || call === null) continue;
      const { method, params } = call as Record<string, unknown>;
      if (typeof method === "string" && this.registry.get(method)?.rawStrings) placed += restoreSpans(params, lifted.spans, used);
    }
    return placed === lifted.spans.length ? msg : undefined;
  }

  private async handleCall(raw: unknown, ctx: RpcContext): Promise<Buffer | null> {
    const req = validateRequest(raw);
    if (req instanceof RpcError) return stringify(errorResponse(idOf(raw), req));
    const method = this.registry.get(req.method);
    const start = performance.now();
    let response: JsonRpcResponse | Buffer;
    let status: RpcCallStatus = "ok";
    try {
      if (!method) throw RpcError.methodNotFound(req.method);
      const result = await method.handler(parseParams(method.schemas, req.params), ctx);
      response =
        result instanceof RawJSON
          ? rawResponse(req.id, result)
          : { jsonrpc: "2.0", id: req.id, result: result === undefined ? null : result };
    } catch (e) {
      const mapped = this.toRpcError(e, req.method);
      status = mapped ? "error" : "internal";
      response = errorResponse(req.id, mapped ?? internalError());
    }
    let out: Buffer;
    try {
      out = Buffer.isBuffer(response) ? response : Buffer.from(JSON.stringify(response));
    } catch (e) {
      // A bigint or a cycle in a result is a handler bug; the caller still gets an answer.
      this.deps.logger.error({ method: req.method, err: e }, "rpc result is not serialisable");
      status = "internal";
      out = stringify(errorResponse(req.id, internalError()));
    }
    this.observe(method ? req.method : "unknown", status, start);
    return req.notification ? null : out;
  }

  /** The error to send, or null when the failure was unexpected (logged here). */
  private toRpcError(e: unknown, method: string): RpcError | null {
    if (e instanceof RpcError) return e;
    if (e instanceof ParamError) return RpcError.invalidParams(e.message);
    if (isZgError(e) && this.deps.errorMapper) {
      try {
        const mapped = this.deps.errorMapper(e);
        if (mapped) return mapped;
      } catch (mapErr) {
        this.deps.logger.error({ method, err: mapErr }, "rpc error mapper failed");
      }
    }
    this.deps.logger.error({ method, err: e }, "rpc handler failed");
    return null;
  }

  private observe(method: string, status: RpcCallStatus, start: number): void {
    const m = this.deps.metrics;
    if (!m) return;
    m.requests.inc({ method, status });
    m.seconds.observe({ method }, (performance.now() - start) / 1000);
  }
}

function validateRequest(raw: unknown): ValidRequest | RpcError {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return RpcError.invalidRequest("invalid request: expected a JSON object");
  const r = raw as Record<string, unknown>;
  if (r.jsonrpc !== "2.0") return RpcError.invalidRequest('invalid request: "jsonrpc" must be "2.0"');
  const notification = !Object.hasOwn(r, "id");
  if (!notification && !isValidId(r.id)) return RpcError.invalidRequest('invalid request: "id" must be a string, number or null');
  if (typeof r.method !== "string") return RpcError.invalidRequest('invalid request: "method" must be a string');
  return { id: notification ? null : (r.id as JsonRpcId), notification, method: r.method, params: r.params };
}

function isValidId(id: unknown): id is JsonRpcId {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

/** The id to echo on an invalid request: its own if usable, else null as the spec says. */
function idOf(raw: unknown): JsonRpcId {
  if (typeof raw !== "object" || raw === null) return null;
  const id = (raw as Record<string, unknown>).id;
  return isValidId(id) ? id : null;
}

function errorResponse(id: JsonRpcId, err: RpcError): JsonRpcResponse {
  return { jsonrpc: "2.0", id, error: err.toErrorObject() };
}

function internalError(): RpcError {
  return RpcError.fromCode(RPC_ERROR_CODES.INTERNAL_ERROR, "internal error");
}

const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");

/** For responses built here, whose `data` is always plain JSON. */
function stringify(response: JsonRpcResponse): Buffer {
  return Buffer.from(JSON.stringify(response));
}
