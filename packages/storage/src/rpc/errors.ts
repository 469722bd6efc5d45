import { RPC_ERROR_CODES, RpcError, type RpcErrorMapper } from "@zerog/core";
import { StorageError, StorageErrorCode } from "../errors.js";

/** Upload errors in 0G's shapes: -32602 "Invalid params: <param>", -32603 "Internal error", -32000 text. */
export const storageErrorMapper: RpcErrorMapper = (e) => {
  if (!(e instanceof StorageError)) return null;
  switch (e.type.code) {
    case StorageErrorCode.INVALID_PARAMS:
      return RpcError.fromCode(RPC_ERROR_CODES.INVALID_PARAMS, `Invalid params: ${e.type.param}`, e.message);
    case StorageErrorCode.INTERNAL:
      return RpcError.fromCode(RPC_ERROR_CODES.INTERNAL_ERROR, "Internal error", e.message);
    case StorageErrorCode.CALL_FAILED:
      return RpcError.fromCode(RPC_ERROR_CODES.SERVER_ERROR, e.message);
    default:
      return RpcError.fromCode(RPC_ERROR_CODES.INTERNAL_ERROR, "Internal error", e.message);
  }
};
