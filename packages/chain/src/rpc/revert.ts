import { bytesToHex, RpcError } from "@zerog/core";
import { decodeRevertReason } from "../execution/revertReason.js";

/** geth's revert error: code 3, "execution reverted[: reason]", revert data in `data`. */
export function revertError(data: Uint8Array): RpcError {
  return RpcError.executionReverted(bytesToHex(data), decodeRevertReason(data));
}
