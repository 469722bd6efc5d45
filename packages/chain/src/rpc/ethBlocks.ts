import { type BlockTag, bytesToHex, hexToBytes, type JsonRpcServer, p, toQuantity } from "@zerog/core";
import type { StoredBlock } from "../store/chainStore.js";
import type { RPCContext } from "./context.js";
import { formatBlock, formatReceipt, formatReceipts, formatTx } from "./format.js";
import { blockParamRequired } from "./schemas.js";

/** Blocks, transactions and receipts. */
export function registerBlockMethods(server: JsonRpcServer, ctx: RPCContext): void {
  const store = () => ctx.execution.store;

  const blockJSON = (b: StoredBlock | undefined, full: boolean) => {
    if (!b) return null;
    if (!full) return formatBlock(b, b.txHashes.map(bytesToHex));
    const loc = (index: number) => ({ blockHash: b.hash, blockNumber: b.header.number, index, baseFee: b.header.baseFeePerGas });
    return formatBlock(
      b,
      ctx.blockTxs(b).map((tx, i) => formatTx(tx, loc(i))),
    );
  };

  const receiptsJSON = (b: StoredBlock) => {
    const receipts = store().receipts(b.header.number) ?? [];
    return formatReceipts(b, ctx.blockTxs(b), receipts);
  };

  const txAt = (b: StoredBlock | undefined, index: bigint) => {
    if (!b || index >= BigInt(b.txHashes.length)) return null;
    const i = Number(index);
    const t = store().tx(b.txHashes[i]!);
    return t ? formatTx(t.tx, { blockHash: b.hash, blockNumber: b.header.number, index: i, baseFee: b.header.baseFeePerGas }) : null;
  };

  server.register("eth_blockNumber", { params: [], handler: () => toQuantity(ctx.execution.head.header.number) });

  server.register("eth_getBlockByNumber", {
    params: [p.blockTag(), p.optional(p.bool())],
    handler: ([tag, full]) => blockJSON(ctx.block(tag), full ?? false),
  });

  server.register("eth_getBlockByHash", {
    params: [p.hash(), p.optional(p.bool())],
    handler: ([hash, full]) => blockJSON(ctx.blockByHash(hash), full ?? false),
  });

  server.register("eth_getBlockTransactionCountByNumber", {
    params: [p.blockTag()],
    handler: ([tag]) => {
      const b = ctx.block(tag);
      return b ? toQuantity(b.txHashes.length) : null;
    },
  });

  server.register("eth_getBlockTransactionCountByHash", {
    params: [p.hash()],
    handler: ([hash]) => {
      const b = ctx.blockByHash(hash);
      return b ? toQuantity(b.txHashes.length) : null;
    },
  });

  server.register("eth_getBlockReceipts", {
    params: [blockParamRequired()],
    handler: ([param]) => {
      const b =
        typeof param === "object"
          ? param.blockHash
            ? ctx.blockByHash(param.blockHash)
            : ctx.block(param.blockNumber ?? "latest")
          : ctx.block(param as bigint | BlockTag);
      return b ? receiptsJSON(b) : null;
    },
  });

  server.register("eth_getTransactionByHash", {
    params: [p.hash()],
    handler: ([hash]) => {
      const h = hexToBytes(hash);
      const t = store().tx(h);
      if (t) {
        const b = store().blockByNumber(t.height)!;
        return formatTx(t.tx, { blockHash: b.hash, blockNumber: t.height, index: t.index, baseFee: b.header.baseFeePerGas });
      }
      const pending = ctx.deps.pool.get(h);
      return pending ? formatTx(pending, null) : null;
    },
  });

  server.register("eth_getTransactionByBlockNumberAndIndex", {
    params: [p.blockTag(), p.quantity({ bits: 64 })],
    handler: ([tag, index]) => txAt(ctx.block(tag), index),
  });

  server.register("eth_getTransactionByBlockHashAndIndex", {
    params: [p.hash(), p.quantity({ bits: 64 })],
    handler: ([hash, index]) => txAt(ctx.blockByHash(hash), index),
  });

  server.register("eth_getTransactionReceipt", {
    params: [p.hash()],
    handler: ([hash]) => {
      const t = store().tx(hexToBytes(hash));
      if (!t) return null;
      const b = store().blockByNumber(t.height)!;
      const receipts = store().receipts(t.height) ?? [];
      const r = receipts[t.index];
      if (!r) return null;
      let firstLog = 0;
      for (let i = 0; i < t.index; i++) firstLog += receipts[i]!.logs.length;
      return formatReceipt(b, t.tx, r, t.index, firstLog);
    },
  });
}
