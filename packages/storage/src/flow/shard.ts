import { numSegments } from "@zerog/core/merkle";
import { SECTORS_PER_SEGMENT } from "../params.js";
import type { Transaction } from "./transaction.js";

/** `shardId/numShard`: the node stores flow segment `i` iff `i % numShard == shardId` (reference §7.1). */
export interface ShardConfig {
  shardId: number;
  numShard: number;
}

export function isValidShardConfig(c: ShardConfig): boolean {
  const { shardId, numShard } = c;
  return (
    Number.isInteger(numShard) &&
    numShard >= 1 &&
    (numShard & (numShard - 1)) === 0 &&
    Number.isInteger(shardId) &&
    shardId >= 0 &&
    shardId < numShard
  );
}

export function inShard(c: ShardConfig, flowSegment: number): boolean {
  return flowSegment % c.numShard === c.shardId;
}

/** Flow segment holding the first sector of file segment `index` (files are segment-aligned or inside one segment). */
export function flowSegmentOf(tx: Transaction, index: number): number {
  return Math.floor((tx.startEntryIndex + index * SECTORS_PER_SEGMENT) / SECTORS_PER_SEGMENT);
}

/** The file's data segments this node stores. */
export function shardDataSegments(c: ShardConfig, tx: Transaction): number[] {
  const out: number[] = [];
  const n = numSegments(tx.size);
  for (let j = 0; j < n; j++) if (inShard(c, flowSegmentOf(tx, j))) out.push(j);
  return out;
}
