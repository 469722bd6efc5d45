import { type JsonRpcServer, p, RpcError, toQuantity } from "@zerog/core";
import type { RPCContext } from "./context.js";
import type { FeeOracle } from "./feeOracle.js";

/** eth_gasPrice, eth_maxPriorityFeePerGas, eth_feeHistory. */
export function registerFeeMethods(server: JsonRpcServer, ctx: RPCContext, oracle: FeeOracle): void {
  server.register("eth_maxPriorityFeePerGas", { params: [], handler: () => toQuantity(oracle.suggestTip()) });

  server.register("eth_gasPrice", { params: [], handler: () => toQuantity(ctx.execution.nextBaseFee() + oracle.suggestTip()) });

  server.register("eth_feeHistory", {
    params: [
      p.oneOf(p.quantity({ bits: 64 }), p.number({ integer: true, min: 0 })),
      p.blockTag(),
      p.optional(p.array(p.number({ min: 0, max: 100 }), { max: 100 })),
    ],
    handler: ([count, newest, percentiles]) => {
      for (let i = 1; i < (percentiles?.length ?? 0); i++) {
        if (percentiles![i]! < percentiles![i - 1]!)
          throw RpcError.invalidParams(`invalid reward percentile: #${i - 1}:${percentiles![i - 1]} > #${i}:${percentiles![i]}`);
      }
      let blocks = BigInt(count);
      if (blocks > BigInt(ctx.opts.maxFeeHistory)) blocks = BigInt(ctx.opts.maxFeeHistory);
      const last = ctx.block(newest);
      if (!last) throw RpcError.fromCode(-32000, "requested block is beyond the head");
      if (blocks === 0n) return { oldestBlock: "0x0", baseFeePerGas: [], gasUsedRatio: [], baseFeePerBlobGas: [], blobGasUsedRatio: [] };
      const newestN = last.header.number;
      const oldest = newestN + 1n > blocks ? newestN + 1n - blocks : 0n;
      const baseFees: string[] = [];
      const ratios: number[] = [];
      const rewards: string[][] = [];
      for (let n = oldest; n <= newestN; n++) {
        const f = oracle.fees(n)!;
        baseFees.push(toQuantity(f.baseFee));
        ratios.push(f.gasLimit === 0n ? 0 : Number(f.gasUsed) / Number(f.gasLimit));
        if (percentiles) rewards.push(oracle.rewards(f, percentiles).map(toQuantity));
      }
      // One more base fee: the block after the newest.
      const isHead = newestN === ctx.execution.head.header.number;
      baseFees.push(toQuantity(isHead ? ctx.execution.nextBaseFee() : oracle.fees(newestN + 1n)!.baseFee));
      const out: Record<string, unknown> = {
        oldestBlock: toQuantity(oldest),
        baseFeePerGas: baseFees,
        gasUsedRatio: ratios,
        baseFeePerBlobGas: baseFees.map(() => "0x1"),
        blobGasUsedRatio: ratios.map(() => 0),
      };
      if (percentiles) out.reward = rewards;
      return out;
    },
  });
}
