import type { Hex } from "viem";
import { StorageClientError, StorageClientErrorCode } from "./errors.js";
import { type StorageNodeClient, toClients } from "./nodeClient.js";
import { type PlacedNode, startSegmentOf } from "./shards.js";

export interface FileNodes {
  /** Nodes that hold the file finalized, each with its own tx seq (deduplicated copies may differ). */
  nodes: PlacedNode[];
  size: number;
  skipped: { url: string; reason: string }[];
}

/** Finds which nodes can serve a file: `zgs_getFileInfo(root, true)` finalized, plus their shards. */
export async function findFileNodes(p: {
  root: Hex;
  nodes: readonly (string | StorageNodeClient)[];
  signal?: AbortSignal | undefined;
}): Promise<FileNodes> {
  const clients = toClients(p.nodes);
  const skipped: { url: string; reason: string }[] = [];
  const found: (PlacedNode & { size: number })[] = [];
  await Promise.all(
    clients.map(async (client) => {
      try {
        const [info, shard] = await Promise.all([
          client.getFileInfo(p.root, true, { signal: p.signal }),
          client.getShardConfig({ signal: p.signal }),
        ]);
        if (info === null) skipped.push({ url: client.url, reason: "does not know the file" });
        else if (!info.finalized)
          skipped.push({ url: client.url, reason: `has not finalized it (${info.uploadedSegNum} segments uploaded)` });
        else found.push({ client, shard, txSeq: info.tx.seq, startSegment: startSegmentOf(info.tx.startEntryIndex), size: info.tx.size });
      } catch (e) {
        if (e instanceof StorageClientError && e.code === StorageClientErrorCode.ABORTED) throw e;
        skipped.push({ url: client.url, reason: (e as Error).message });
      }
    }),
  );
  // Keep node order stable (Promise.all finishes in any order).
  found.sort((a, b) => clients.indexOf(a.client) - clients.indexOf(b.client));
  const first = found[0];
  if (!first) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.FILE_NOT_FOUND, root: p.root },
      `no storage node has a finalized file with root ${p.root}: ${skipped.map((s) => `${s.url} ${s.reason}`).join("; ")}`,
    );
  }
  // Files that differ only in trailing zero bytes share a root; the first finalized node decides the size.
  const nodes: PlacedNode[] = [];
  for (const { size, ...n } of found) {
    if (size === first.size) nodes.push(n);
    else skipped.push({ url: n.client.url, reason: `holds a ${size}-byte file with this root, not ${first.size} bytes` });
  }
  return { nodes, size: first.size, skipped };
}
