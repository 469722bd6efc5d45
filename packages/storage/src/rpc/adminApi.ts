import type { JsonRpcServer } from "@zerog/core";
import { p } from "@zerog/core";
import type { LogStore } from "../flow/logStore.js";
import type { FileSync } from "../sync/fileSync.js";
import type { LogSync } from "../sync/logSync.js";
import { txSeqParam } from "./params.js";

export interface AdminContext {
  store: LogStore;
  logSync: () => LogSync | null;
  fileSync: FileSync;
  /** This node's public RPC URL (for `admin_getFileLocation`). */
  selfUrl: () => string;
  shutdown: () => void;
}

/** The `admin_` methods 0G nodes serve for sync (reference §3.4), plus `admin_getLogSyncStatus`. */
export function registerAdminMethods(server: JsonRpcServer, ctx: AdminContext): void {
  const { store, fileSync } = ctx;

  server.register("admin_getSyncStatus", { params: [txSeqParam()], handler: ([seq]) => fileSync.status(seq) });

  server.register("admin_getSyncInfo", { params: [p.optional(txSeqParam())], handler: ([seq]) => fileSync.syncInfo(seq) });

  server.register("admin_getSyncServiceState", { params: [], handler: () => fileSync.serviceState() });

  server.register("admin_startSyncFile", {
    params: [txSeqParam()],
    handler: ([seq]) => {
      fileSync.request(seq);
      return null;
    },
  });

  server.register("admin_terminateSync", { params: [txSeqParam()], handler: ([seq]) => fileSync.terminate(seq) });

  server.register("admin_findFile", {
    params: [txSeqParam()],
    handler: ([seq]) => {
      fileSync.request(seq);
      return null;
    },
  });

  server.register("admin_getFileLocation", {
    params: [txSeqParam(), p.optional(p.bool())],
    handler: ([seq, _allShards]) => {
      if (!store.getTx(seq)) return null;
      const out: { ip: string; shardConfig: { shardId: number; numShard: number } }[] = [];
      if (store.isFinalized(seq)) out.push({ ip: ctx.selfUrl(), shardConfig: { ...store.shard } });
      for (const url of fileSync.locationsOf(seq)) {
        const shard = fileSync.peerShard(url);
        if (shard) out.push({ ip: url, shardConfig: shard });
      }
      return out.length > 0 ? out : null;
    },
  });

  server.register("admin_getLogSyncStatus", { params: [], handler: () => ctx.logSync()?.status() ?? null });

  server.register("admin_shutdown", {
    params: [],
    handler: () => {
      setImmediate(ctx.shutdown);
      return null;
    },
  });
}
