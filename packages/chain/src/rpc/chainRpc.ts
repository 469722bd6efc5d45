import type { JsonRpcServer } from "@zerog/core";
import { type ChainRPCDeps, type ChainRPCOptions, defaultChainRPCOptions, RPCContext } from "./context.js";
import { registerDebugMethods } from "./debugApi.js";
import { registerBlockMethods } from "./ethBlocks.js";
import { registerCallMethods } from "./ethCall.js";
import { registerFeeMethods } from "./ethFees.js";
import { registerStateMethods } from "./ethState.js";
import { FeeOracle } from "./feeOracle.js";
import { registerFilterMethods } from "./filters.js";
import { registerLogMethods } from "./logQuery.js";
import { registerMiscMethods } from "./miscApi.js";
import { registerSubscriptionMethods } from "./subscriptions.js";
import { registerZgMethods } from "./zgApi.js";

/** Registers the chain's Ethereum JSON-RPC on `server`; returns a function that releases its timers. */
export function registerChainRPC(server: JsonRpcServer, opts: Partial<ChainRPCOptions>, deps: ChainRPCDeps): () => void {
  const ctx = new RPCContext({ ...defaultChainRPCOptions, ...opts }, deps);
  const disposers: (() => void)[] = [];
  registerMiscMethods(server, ctx);
  registerStateMethods(server, ctx);
  registerBlockMethods(server, ctx);
  registerCallMethods(server, ctx);
  registerDebugMethods(server, ctx);
  registerFeeMethods(server, ctx, new FeeOracle(ctx.execution));
  registerLogMethods(server, ctx);
  registerZgMethods(server, ctx);
  disposers.push(registerFilterMethods(server, ctx), registerSubscriptionMethods(server, ctx));
  return () => {
    for (const d of disposers) d();
  };
}
