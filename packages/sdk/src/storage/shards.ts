import { SEGMENT_CHUNKS } from "@zerog/core/merkle";
import { StorageClientError, StorageClientErrorCode } from "./errors.js";
import type { StorageNodeClient } from "./nodeClient.js";
import type { ShardConfig } from "./types.js";

/** A node with its shard, and where the file starts in the flow as this node knows it. */
export interface PlacedNode {
  client: StorageNodeClient;
  shard: ShardConfig;
  txSeq: number;
  /** Flow segment of the file's segment 0: `floor(startEntryIndex / 1024)`. */
  startSegment: number;
}

export function startSegmentOf(startEntryIndex: number): number {
  return Math.floor(startEntryIndex / SEGMENT_CHUNKS);
}

/** Whether `node` stores the file's segment `index` (flow segment `startSegment + index`). */
export function holdsSegment(node: PlacedNode, index: number): boolean {
  return (node.startSegment + index) % node.shard.numShard === node.shard.shardId;
}

/**
 * For each of the file's `count` segments, the nodes that store it. Throws `SHARDS_NOT_COVERED` naming the
 * uncovered segments and their shards when some segment has no node.
 */
export function segmentHolders<N extends PlacedNode>(nodes: readonly N[], count: number): N[][] {
  const holders: N[][] = [];
  const missing: string[] = [];
  for (let i = 0; i < count; i++) {
    const h = nodes.filter((n) => holdsSegment(n, i));
    if (h.length === 0 && missing.length < 8) missing.push(describeMissing(nodes, i));
    holders.push(h);
  }
  if (holders.some((h) => h.length === 0)) {
    const have = nodes.map((n) => `${n.client.url} (shard ${n.shard.shardId}/${n.shard.numShard})`).join(", ") || "none";
    throw new StorageClientError(
      { code: StorageClientErrorCode.SHARDS_NOT_COVERED, missing },
      `the storage nodes do not cover every shard of the file: ${missing.join("; ")}${missing.length === 8 ? "; …" : ""}. ` +
        `Nodes: ${have}. Add nodes so that every shard is stored by at least one of them.`,
    );
  }
  return holders;
}

function describeMissing(nodes: readonly PlacedNode[], index: number): string {
  const maxShards = Math.max(1, ...nodes.map((n) => n.shard.numShard));
  const flowSegment = (nodes[0]?.startSegment ?? 0) + index;
  return `segment ${index} (flow segment ${flowSegment}, shard ${flowSegment % maxShards}/${maxShards})`;
}

/**
 * Checks, before any fee is paid, that the nodes cover every shard: each residue `r < max numShard` has a node with
 * `r % numShard == shardId`. Throws `SHARDS_NOT_COVERED` naming the missing shards.
 */
export function checkShardCoverage(nodes: readonly { client: StorageNodeClient; shard: ShardConfig }[]): void {
  const max = Math.max(1, ...nodes.map((n) => n.shard.numShard));
  const missing: string[] = [];
  for (let r = 0; r < max; r++) {
    if (!nodes.some((n) => r % n.shard.numShard === n.shard.shardId)) missing.push(`shard ${r}/${max}`);
  }
  if (missing.length === 0) return;
  const have = nodes.map((n) => `${n.client.url} (shard ${n.shard.shardId}/${n.shard.numShard})`).join(", ");
  throw new StorageClientError(
    { code: StorageClientErrorCode.SHARDS_NOT_COVERED, missing },
    `the storage nodes do not cover every shard: no node stores ${missing.join(", ")}. Nodes: ${have}. ` +
      "Add nodes for the missing shards; nothing was submitted.",
  );
}
