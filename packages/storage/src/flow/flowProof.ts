import { hashChunk, hashPair, nextPow2, ZERO_HASHES } from "@zerog/core/merkle";
import { SECTOR_SIZE, SECTORS_PER_SEGMENT } from "../params.js";

/** A submission node placed in the flow: sectors `[start, start + 2^height)`. */
export interface PlacedNode {
  start: number;
  height: number;
  root: Uint8Array;
}

export interface FlowProof {
  lemma: Uint8Array[];
  path: boolean[];
}

export interface SectorProofSource {
  /** Placed nodes in flow order. */
  nodes: readonly PlacedNode[];
  length: number;
  /** Sectors of the flow segment holding `sector`, if stored here. */
  readSegment(segment: number): Uint8Array | undefined;
  /** Siblings inside the node above segment level (levels 10 … height−1), bottom-up, if known. */
  segmentSiblings(node: PlacedNode, segmentInNode: number): Uint8Array[] | undefined;
}

const DUMMY = new Uint8Array(32);

/**
 * Proof of one flow sector against the flow root (`zgs_getSectorProof`), in 0G's `{lemma, path}` form: lemma is
 * `[leaf, siblings…, root]`, `path[i]` true when the node is the left child. Inside the sector's own submission node
 * the hashes come from the stored data (below segment level) and the stored file proof (above it); outside it, from
 * the placed nodes and zero subtrees. Undefined when this node does not hold the data.
 */
export function sectorProof(src: SectorProofSource, sector: number): FlowProof | undefined {
  if (sector < 0 || sector >= src.length) return undefined;
  const top = Math.log2(nextPow2(src.length));
  const own = findNode(src.nodes, sector);
  const lemma: Uint8Array[] = [];
  const path: boolean[] = [];
  let level = 0;
  let leaf: Uint8Array;
  if (!own) {
    leaf = sector === 0 ? DUMMY : ZERO_HASHES[0]!;
  } else {
    const segment = Math.floor(sector / SECTORS_PER_SEGMENT);
    const data = src.readSegment(segment);
    if (!data) return undefined;
    // Leaves of the part of the segment inside the node, then the levels up to min(height, 10).
    const base = Math.max(own.start, segment * SECTORS_PER_SEGMENT);
    const count = Math.min(2 ** own.height, SECTORS_PER_SEGMENT);
    let layer: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const off = (base - segment * SECTORS_PER_SEGMENT + i) * SECTOR_SIZE;
      layer.push(hashChunk(data.subarray(off, off + SECTOR_SIZE)));
    }
    let pos = sector - base;
    leaf = layer[pos]!;
    while (layer.length > 1) {
      lemma.push(layer[pos ^ 1]!);
      path.push(pos % 2 === 0);
      const next: Uint8Array[] = [];
      for (let i = 0; i < layer.length; i += 2) next.push(hashPair(layer[i]!, layer[i + 1]!));
      layer = next;
      pos >>= 1;
      level++;
    }
    if (own.height > level) {
      const segInNode = Math.floor((sector - own.start) / SECTORS_PER_SEGMENT);
      const sibs = src.segmentSiblings(own, segInNode);
      if (!sibs || sibs.length !== own.height - level) return undefined;
      for (let i = 0; i < sibs.length; i++, level++) {
        lemma.push(sibs[i]!);
        path.push(((segInNode >> i) & 1) === 0);
      }
    }
  }
  for (; level < top; level++) {
    const index = Math.floor(sector / 2 ** level);
    lemma.push(rangeHash(src, level, index ^ 1));
    path.push(index % 2 === 0);
  }
  let acc = leaf;
  for (let i = 0; i < path.length; i++) acc = path[i] ? hashPair(acc, lemma[i]!) : hashPair(lemma[i]!, acc);
  return { lemma: [leaf, ...lemma, ...(path.length > 0 ? [acc] : [])], path };
}

/** Hash of the aligned range `[index·2^level, (index+1)·2^level)`, which must not lie strictly inside a node. */
function rangeHash(src: SectorProofSource, level: number, index: number): Uint8Array {
  const a = index * 2 ** level;
  const b = a + 2 ** level;
  if (a >= src.length) return ZERO_HASHES[level]!;
  const first = lowerBound(src.nodes, a);
  const node = src.nodes[first];
  const overlaps = node !== undefined && node.start < b;
  if (!overlaps && a > 0) return ZERO_HASHES[level]!;
  if (node && node.start === a && node.height === level) return node.root;
  if (level === 0) return a === 0 ? DUMMY : ZERO_HASHES[0]!;
  return hashPair(rangeHash(src, level - 1, 2 * index), rangeHash(src, level - 1, 2 * index + 1));
}

/** First node whose end is past `sector`. */
function lowerBound(nodes: readonly PlacedNode[], sector: number): number {
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const n = nodes[mid]!;
    if (n.start + 2 ** n.height <= sector) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function findNode(nodes: readonly PlacedNode[], sector: number): PlacedNode | undefined {
  const n = nodes[lowerBound(nodes, sector)];
  return n && n.start <= sector ? n : undefined;
}
