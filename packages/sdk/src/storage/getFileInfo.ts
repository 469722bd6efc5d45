import type { Hex } from "viem";
import { checkRoot } from "./downloadFile.js";
import { type StorageNodeClient, toClients } from "./nodeClient.js";
import type { FileInfo, ShardConfig } from "./types.js";

export interface GetFileInfoParameters {
  root: Hex;
  nodes: readonly (string | StorageNodeClient)[];
  signal?: AbortSignal;
}

/** One node's view of the file; `error` set when the node could not be asked. */
export interface NodeFileInfo {
  url: string;
  info: FileInfo | null;
  shard: ShardConfig | null;
  error: string | null;
}

export interface GetFileInfoReturnType {
  root: Hex;
  nodes: NodeFileInfo[];
}

/** Asks every node what it knows of the file with this root (`zgs_getFileInfo` and `zgs_getShardConfig`). */
export async function getFileInfo(params: GetFileInfoParameters): Promise<GetFileInfoReturnType> {
  const root = checkRoot(params.root);
  const clients = toClients(params.nodes);
  const options = { signal: params.signal };
  const nodes = await Promise.all(
    clients.map(async (c): Promise<NodeFileInfo> => {
      try {
        const [info, shard] = await Promise.all([c.getFileInfo(root, true, options), c.getShardConfig(options)]);
        return { url: c.url, info, shard, error: null };
      } catch (e) {
        return { url: c.url, info: null, shard: null, error: (e as Error).message };
      }
    }),
  );
  return { root, nodes };
}
