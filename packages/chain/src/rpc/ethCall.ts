import { bytesToHex, type JsonRpcServer, RpcError, toQuantity } from "@zerog/core";
import { type CallContext, EstimateGasFailure, estimateGas, simulateCall } from "../execution/simulate.js";
import type { StoredBlock } from "../store/chainStore.js";
import type { RPCContext } from "./context.js";
import { revertError } from "./revert.js";
import { blockParam, callParams, stateOverrides } from "./schemas.js";

/** The call context of a block: its state and its header's environment. */
export function callContext(ctx: RPCContext, block: StoredBlock): CallContext {
  const ex = ctx.execution;
  const n = block.header.number;
  return {
    common: ex.common,
    reader: ctx.stateAt(block),
    header: block.header,
    getBlockHash: (k) => (k < n && k + 256n >= n ? ex.store.hashByNumber(k) : undefined),
  };
}

/** eth_call and eth_estimateGas. */
export function registerCallMethods(server: JsonRpcServer, ctx: RPCContext): void {
  server.register("eth_call", {
    params: [callParams(), blockParam(), stateOverrides()],
    handler: async ([call, tag, overrides]) => {
      const r = await simulateCall(callContext(ctx, ctx.blockOrHash(tag)), call, overrides, { gasCap: ctx.opts.gasCap });
      if (r.reverted) throw revertError(r.exec.returnValue);
      if (r.error !== undefined) throw RpcError.fromCode(-32000, r.error);
      return bytesToHex(r.exec.returnValue);
    },
  });

  server.register("eth_estimateGas", {
    params: [callParams(), blockParam(), stateOverrides()],
    handler: async ([call, tag, overrides]) => {
      try {
        return toQuantity(await estimateGas(callContext(ctx, ctx.blockOrHash(tag)), call, overrides, { gasCap: ctx.opts.gasCap }));
      } catch (e) {
        if (!(e instanceof EstimateGasFailure)) throw e;
        if (e.result.reverted) throw revertError(e.result.exec.returnValue);
        throw RpcError.fromCode(
          -32000,
          e.result.error === "out of gas" ? `gas required exceeds allowance (${e.gasLimit})` : `${e.result.error}`,
        );
      }
    },
  });
}
