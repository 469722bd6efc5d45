import { RpcError, type RpcErrorMapper, type ZgError } from "@zerog/core";
import { ChainError, ChainErrorCode, MempoolError, TxError } from "../errors.js";

/**
 * Chain errors as JSON-RPC errors: rejected transactions are -32000 with geth's wording (viem,
 * ethers and Foundry match on it); anything that means our data is broken is an internal error.
 */
export const chainErrorMapper: RpcErrorMapper = (e: ZgError<{ code: string }>) => {
  if (e instanceof TxError || e instanceof MempoolError) return RpcError.fromCode(-32000, e.message);
  if (e instanceof ChainError) return RpcError.fromCode(e.type.code === ChainErrorCode.CORRUPT_DATA ? -32603 : -32000, e.message);
  return null;
};
