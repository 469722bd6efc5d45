import { bytesToHex, type JsonRpcServer, keccak256, p, toChecksumAddress, toQuantity } from "@zerog/core";
import type { SignedTx } from "../tx/transaction.js";
import type { RPCContext } from "./context.js";
import { formatTx } from "./format.js";

/** web3_*, net_*, chain identity, sending, txpool_* and zg_*. */
export function registerMiscMethods(server: JsonRpcServer, ctx: RPCContext): void {
  server.register("web3_clientVersion", { params: [], handler: () => ctx.opts.clientVersion });
  server.register("web3_sha3", { params: [p.hexData()], handler: ([data]) => bytesToHex(keccak256(data)) });
  server.register("net_version", { params: [], handler: () => ctx.execution.chainId.toString() });
  server.register("net_listening", { params: [], handler: () => true });
  server.register("net_peerCount", { params: [], handler: () => toQuantity(ctx.deps.peerCount()) });
  server.register("eth_chainId", { params: [], handler: () => toQuantity(ctx.execution.chainId) });
  server.register("eth_accounts", { params: [], handler: () => [] });
  server.register("eth_coinbase", { params: [], handler: () => bytesToHex(ctx.execution.head.header.coinbase) });
  server.register("eth_syncing", {
    params: [],
    handler: () => {
      const s = ctx.deps.syncing();
      return s === false
        ? false
        : {
            startingBlock: toQuantity(s.startingBlock),
            currentBlock: toQuantity(s.currentBlock),
            highestBlock: toQuantity(s.highestBlock),
          };
    },
  });

  server.register("eth_sendRawTransaction", {
    // No size cap here: the decoder answers any oversized transaction with geth's "oversized data".
    params: [p.hexData()],
    handler: async ([raw]) => bytesToHex(await ctx.deps.submitRawTx(raw)),
  });

  server.register("txpool_status", {
    params: [],
    handler: () => {
      const s = ctx.deps.pool.status();
      return { pending: toQuantity(s.pending), queued: toQuantity(s.queued) };
    },
  });

  const bySender = (m: Map<string, SignedTx[]>) => {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [sender, txs] of m) {
      const entry: Record<string, unknown> = {};
      for (const tx of txs) entry[tx.nonce.toString()] = formatTx(tx, null);
      out[toChecksumAddress(sender.startsWith("0x") ? sender : `0x${sender}`)] = entry;
    }
    return out;
  };

  server.register("txpool_content", {
    params: [],
    handler: () => {
      const c = ctx.deps.pool.content();
      return { pending: bySender(c.pending), queued: bySender(c.queued) };
    },
  });

  server.register("zg_systemContracts", {
    params: [],
    handler: () => Object.fromEntries(ctx.execution.genesis.systemContracts),
  });
}
