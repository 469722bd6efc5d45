import { ZgError } from "../errors.js";

/** Numeric codes of the JSON-RPC 2.0 spec, plus the Ethereum ones clients branch on. */
export const RPC_ERROR_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Generic application error, as geth uses for "nonce too low" and friends. */
  SERVER_ERROR: -32000,
  /** `eth_call` / `eth_estimateGas` revert; `data` holds the revert bytes. */
  EXECUTION_REVERTED: 3,
} as const;

export enum JsonRpcErrorCode {
  // Carried in a JSON-RPC error object (RpcError).
  PARSE_ERROR = "JSONRPC_PARSE_ERROR",
  INVALID_REQUEST = "JSONRPC_INVALID_REQUEST",
  METHOD_NOT_FOUND = "JSONRPC_METHOD_NOT_FOUND",
  INVALID_PARAMS = "JSONRPC_INVALID_PARAMS",
  INTERNAL_ERROR = "JSONRPC_INTERNAL_ERROR",
  EXECUTION_REVERTED = "JSONRPC_EXECUTION_REVERTED",
  /** Any other numeric code (-32000 and application codes). */
  SERVER_ERROR = "JSONRPC_SERVER_ERROR",
  // No JSON-RPC answer was obtained (RpcTransportError).
  TIMEOUT = "JSONRPC_TIMEOUT",
  REQUEST_FAILED = "JSONRPC_REQUEST_FAILED",
  HTTP_STATUS = "JSONRPC_HTTP_STATUS",
  INVALID_RESPONSE = "JSONRPC_INVALID_RESPONSE",
  CONNECTION_CLOSED = "JSONRPC_CONNECTION_CLOSED",
  // Server setup (JsonRpcServerError).
  LISTEN_FAILED = "JSONRPC_LISTEN_FAILED",
  ALREADY_REGISTERED = "JSONRPC_ALREADY_REGISTERED",
}

type WireCode =
  | JsonRpcErrorCode.PARSE_ERROR
  | JsonRpcErrorCode.INVALID_REQUEST
  | JsonRpcErrorCode.METHOD_NOT_FOUND
  | JsonRpcErrorCode.INVALID_PARAMS
  | JsonRpcErrorCode.INTERNAL_ERROR
  | JsonRpcErrorCode.EXECUTION_REVERTED
  | JsonRpcErrorCode.SERVER_ERROR;

export type RpcErrorType = { code: WireCode; rpcCode: number; data?: unknown };

/** The `error` member of a JSON-RPC response. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

function wireCodeOf(rpcCode: number): WireCode {
  switch (rpcCode) {
    case RPC_ERROR_CODES.PARSE_ERROR:
      return JsonRpcErrorCode.PARSE_ERROR;
    case RPC_ERROR_CODES.INVALID_REQUEST:
      return JsonRpcErrorCode.INVALID_REQUEST;
    case RPC_ERROR_CODES.METHOD_NOT_FOUND:
      return JsonRpcErrorCode.METHOD_NOT_FOUND;
    case RPC_ERROR_CODES.INVALID_PARAMS:
      return JsonRpcErrorCode.INVALID_PARAMS;
    case RPC_ERROR_CODES.INTERNAL_ERROR:
      return JsonRpcErrorCode.INTERNAL_ERROR;
    case RPC_ERROR_CODES.EXECUTION_REVERTED:
      return JsonRpcErrorCode.EXECUTION_REVERTED;
    default:
      return JsonRpcErrorCode.SERVER_ERROR;
  }
}

/**
 * An error that travels as a JSON-RPC error object: thrown by handlers to answer with a given
 * code, message and data, and raised by the clients when the server answers with an error.
 */
export class RpcError extends ZgError<RpcErrorType> {
  /** Builds the error for a numeric JSON-RPC code; `data` is sent only when defined. */
  static fromCode(rpcCode: number, message: string, data?: unknown): RpcError {
    const type: RpcErrorType = { code: wireCodeOf(rpcCode), rpcCode };
    if (data !== undefined) type.data = data;
    return new RpcError(type, message);
  }

  static fromObject(obj: RpcErrorObject): RpcError {
    return RpcError.fromCode(obj.code, obj.message, obj.data);
  }

  static invalidRequest(reason: string): RpcError {
    return RpcError.fromCode(RPC_ERROR_CODES.INVALID_REQUEST, reason);
  }

  static invalidParams(message: string): RpcError {
    return RpcError.fromCode(RPC_ERROR_CODES.INVALID_PARAMS, message);
  }

  static methodNotFound(method: string): RpcError {
    return RpcError.fromCode(RPC_ERROR_CODES.METHOD_NOT_FOUND, `the method ${method} does not exist/is not available`);
  }

  /** geth's answer to a reverted call: code 3, `execution reverted[: reason]`, data the revert bytes. */
  static executionReverted(data: string, reason?: string): RpcError {
    const message = reason ? `execution reverted: ${reason}` : "execution reverted";
    return RpcError.fromCode(RPC_ERROR_CODES.EXECUTION_REVERTED, message, data);
  }

  get rpcCode(): number {
    return this.type.rpcCode;
  }

  get data(): unknown {
    return this.type.data;
  }

  toErrorObject(): RpcErrorObject {
    const obj: RpcErrorObject = { code: this.type.rpcCode, message: this.message };
    if (this.type.data !== undefined) obj.data = this.type.data;
    return obj;
  }
}

export type RpcTransportErrorType =
  | { code: JsonRpcErrorCode.TIMEOUT; method: string; timeoutMs: number }
  | { code: JsonRpcErrorCode.REQUEST_FAILED; url: string }
  | { code: JsonRpcErrorCode.HTTP_STATUS; status: number }
  | { code: JsonRpcErrorCode.INVALID_RESPONSE; reason: string }
  | { code: JsonRpcErrorCode.CONNECTION_CLOSED };

/** A client got no JSON-RPC answer: timeout, network failure, non-JSON-RPC HTTP reply, closed socket. */
export class RpcTransportError extends ZgError<RpcTransportErrorType> {}

export type JsonRpcServerErrorType =
  | { code: JsonRpcErrorCode.LISTEN_FAILED; host: string; port: number }
  | { code: JsonRpcErrorCode.ALREADY_REGISTERED; name: string };

export class JsonRpcServerError extends ZgError<JsonRpcServerErrorType> {}

export type ParamErrorType = { code: JsonRpcErrorCode.INVALID_PARAMS; reason: string; path: (string | number)[] };

/**
 * A value failed a param schema. `path` locates it inside the argument (`accessList[0].address`);
 * the dispatcher turns it into -32602 `invalid argument N: ...`.
 */
export class ParamError extends ZgError<ParamErrorType> {
  constructor(reason: string, path: (string | number)[] = []) {
    super({ code: JsonRpcErrorCode.INVALID_PARAMS, reason, path }, formatParamError(reason, path));
  }

  /** The same failure one level further out (`field` of an object, index of an array). */
  within(segment: string | number): ParamError {
    return new ParamError(this.type.reason, [segment, ...this.type.path]);
  }
}

function formatParamError(reason: string, path: (string | number)[]): string {
  if (path.length === 0) return reason;
  let at = "";
  for (const seg of path) at += typeof seg === "number" ? `[${seg}]` : at === "" ? seg : `.${seg}`;
  return `${at}: ${reason}`;
}
