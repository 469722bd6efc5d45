import { type Address, bytesToHex, type Hex, hexToBytes, type JsonRpcServer, p, type RawJSON } from "@zerog/core";
import { numChunks, numSegments } from "@zerog/core/merkle";
import { internalError, invalidParams, StorageError } from "../errors.js";
import type { LogStore } from "../flow/logStore.js";
import { base64RawJSON, type SegmentWithProof, segmentToRawJSON } from "../flow/segment.js";
import type { Transaction } from "../flow/transaction.js";
import { P2P_PROTOCOL_VERSION, SECTORS_PER_SEGMENT } from "../params.js";
import type { LogSync } from "../sync/logSync.js";
import { indexParam, segmentParam, txSeqParam } from "./params.js";

export interface ZgsContext {
  store: LogStore;
  logSync: () => LogSync | null;
  chainId: () => number;
  flowAddress: () => Address;
  connectedPeers: () => number;
}

const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;

/** Every `zgs_` method of reference §3.3, with 0G's shapes. Upload methods answer 0, not null (§4.2). */
export function registerZgsMethods(server: JsonRpcServer, ctx: ZgsContext): void {
  const { store } = ctx;
  const byRoot = (root: Hex, needAvailable = false) => store.txByRoot(hexToBytes(root), needAvailable);

  server.register("zgs_getStatus", {
    params: [],
    handler: () => {
      const sync = ctx.logSync()?.status();
      return {
        connectedPeers: ctx.connectedPeers(),
        logSyncHeight: Math.max(0, sync?.syncedBlock ?? 0),
        logSyncBlock: sync?.syncedBlockHash ?? ZERO_HASH,
        nextTxSeq: store.nextTxSeq,
        networkIdentity: { chainId: ctx.chainId(), flowAddress: ctx.flowAddress(), p2pProtocolVersion: P2P_PROTOCOL_VERSION },
      };
    },
  });

  server.register("zgs_getShardConfig", { params: [], handler: () => ({ ...store.shard }) });

  server.register("zgs_uploadSegment", {
    rawStrings: true,
    params: [segmentParam()],
    handler: async ([seg]) => {
      await store.putSegment(seg, byRoot(bytesToHex(seg.root)));
      return 0;
    },
  });

  server.register("zgs_uploadSegmentByTxSeq", {
    rawStrings: true,
    params: [segmentParam(), txSeqParam()],
    handler: async ([seg, seq]) => {
      await store.putSegment(seg, store.getTx(seq));
      return 0;
    },
  });

  server.register("zgs_uploadSegments", {
    rawStrings: true,
    params: [p.array(segmentParam())],
    handler: async ([segs]) => {
      for (const seg of segs) await store.putSegment(seg, byRoot(bytesToHex(seg.root)));
      return 0;
    },
  });

  server.register("zgs_uploadSegmentsByTxSeq", {
    rawStrings: true,
    params: [p.array(segmentParam()), txSeqParam()],
    handler: async ([segs, seq]) => {
      for (const seg of segs) await putSkippingDuplicates(store, seg, store.getTx(seq));
      return 0;
    },
  });

  server.register("zgs_downloadSegment", {
    params: [p.hash(), indexParam(), indexParam()],
    handler: ([root, start, end]) => downloadChunks(store, byRoot(root, true), start, end),
  });

  server.register("zgs_downloadSegmentByTxSeq", {
    params: [txSeqParam(), indexParam(), indexParam()],
    handler: ([seq, start, end]) => downloadChunks(store, store.getTx(seq), start, end),
  });

  server.register("zgs_downloadSegmentWithProof", {
    params: [p.hash(), indexParam()],
    handler: ([root, index]) => downloadWithProof(store, byRoot(root, true), index),
  });

  server.register("zgs_downloadSegmentWithProofByTxSeq", {
    params: [txSeqParam(), indexParam()],
    handler: ([seq, index]) => downloadWithProof(store, store.getTx(seq), index),
  });

  server.register("zgs_checkFileFinalized", {
    params: [p.oneOf(txSeqParam(), p.hash())],
    handler: ([key]) => {
      const tx = typeof key === "number" ? store.getTx(key) : byRoot(key);
      return tx ? store.isFinalized(tx.seq) : null;
    },
  });

  server.register("zgs_getFileInfo", {
    params: [p.hash(), p.optional(p.bool())],
    handler: ([root, needAvailable]) => {
      const tx = byRoot(root, needAvailable ?? false);
      return tx ? store.fileInfo(tx) : null;
    },
  });

  server.register("zgs_getFileInfoByTxSeq", {
    params: [txSeqParam()],
    handler: ([seq]) => {
      const tx = store.getTx(seq);
      return tx ? store.fileInfo(tx) : null;
    },
  });

  server.register("zgs_getSectorProof", {
    params: [indexParam(), p.optional(p.nullable(p.hash()))],
    handler: ([sector, flowRoot]) => {
      const current = bytesToHex(store.flowRoot);
      // Only the current root: older flow roots are not kept.
      if (flowRoot !== undefined && flowRoot !== current) throw invalidParams("flow_root", "flow root not found");
      if (sector >= store.flowLength) throw invalidParams("sector_index", "sector index out of bound");
      const proof = store.sectorProof(sector);
      if (!proof) throw internalError("sector data is not available on this node");
      if (bytesToHex(proof.lemma[proof.lemma.length - 1]!) !== current) throw internalError("sector proof does not match the flow root");
      return { lemma: proof.lemma.map(bytesToHex), path: proof.path };
    },
  });

  server.register("zgs_getFlowContext", { params: [], handler: () => [bytesToHex(store.flowRoot), store.flowLength] });

  server.register("zgs_getDataByNodeIndex", {
    params: [indexParam()],
    handler: ([batch]) => {
      const data = store.readFlowSegment(batch);
      if (!data) return null;
      const chunks: number[][] = [];
      for (let i = 0; i < data.length; i += 256) chunks.push([...data.subarray(i, i + 256)]);
      return chunks;
    },
  });

  server.register("zgs_getMetaDataByNodeIndex", {
    params: [indexParam()],
    handler: ([batch]) =>
      JSON.stringify({ batchIndex: batch, startSector: batch * SECTORS_PER_SEGMENT, stored: store.readFlowSegment(batch) !== undefined }),
  });

  server.register("zgs_getHashAtNodeIndex", { params: [indexParam()], handler: () => null });
}

async function putSkippingDuplicates(store: LogStore, seg: SegmentWithProof, tx: Transaction | undefined): Promise<void> {
  try {
    await store.putSegment(seg, tx);
  } catch (e) {
    if (e instanceof StorageError && e.message === "segment has already been uploaded or is being uploaded") return;
    throw e;
  }
}

function downloadChunks(store: LogStore, tx: Transaction | undefined, start: number, end: number): RawJSON | null {
  if (!tx) return null;
  if (start >= end || end - start > SECTORS_PER_SEGMENT) throw invalidParams("end_index", "invalid chunk index");
  if (end > numChunks(tx.size)) throw invalidParams("end_index", "end index exceeds tx data size");
  const data = store.readChunks(tx, start, end);
  return data ? base64RawJSON(data) : null;
}

function downloadWithProof(store: LogStore, tx: Transaction | undefined, index: number): RawJSON | null {
  if (!tx) return null;
  if (index >= numSegments(tx.size)) throw invalidParams("index", "index out of bound");
  const seg = store.readSegment(tx, index);
  return seg ? segmentToRawJSON(seg) : null;
}
