import { bytesToHex, type JsonRpcServer, p, RpcError, toQuantity } from "@zerog/core";
import type { RPCContext } from "./context.js";

/** zerog-specific methods: consensus records of committed blocks. */
export function registerZgMethods(server: JsonRpcServer, ctx: RPCContext): void {
  const store = () => ctx.execution.store;

  server.register("zg_getCommit", {
    params: [p.blockTag()],
    handler: ([tag]) => {
      const b = ctx.block(tag);
      if (!b) return null;
      const commit = store().commit(b.header.number);
      return commit ? { blockNumber: toQuantity(b.header.number), blockHash: bytesToHex(b.hash), commit: bytesToHex(commit) } : null;
    },
  });

  server.register("zg_getMisbehavior", {
    params: [p.blockTag(), p.optional(p.blockTag())],
    handler: ([fromTag, toTag]) => {
      const from = ctx.block(fromTag);
      const to = toTag === undefined ? from : ctx.block(toTag);
      if (!from || !to) return [];
      if (to.header.number - from.header.number > BigInt(ctx.opts.maxLogBlockRange)) {
        throw RpcError.fromCode(-32005, `query exceeds max block range ${ctx.opts.maxLogBlockRange}`);
      }
      const out: Record<string, unknown>[] = [];
      for (let n = from.header.number; n <= to.header.number; n++) {
        for (const m of store().misbehavior(n)) {
          out.push({
            blockNumber: toQuantity(n),
            kind: m.kind,
            validator: bytesToHex(m.validator),
            height: toQuantity(m.height),
            power: toQuantity(m.power),
            totalPower: toQuantity(m.totalPower),
            evidence: bytesToHex(m.evidence),
          });
        }
      }
      return out;
    },
  });
}
