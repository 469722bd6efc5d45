/** Bytes in a chunk (a flow sector, an "entry"): one leaf of every 0G Merkle tree. */
export const CHUNK_SIZE = 256;
/** Chunks in a segment: the upload/download unit, the shard unit and the PoRA load. */
export const SEGMENT_CHUNKS = 1024;
/** Bytes in a segment (256 KiB). */
export const SEGMENT_SIZE = 262_144;
/** log2(SEGMENT_CHUNKS): the height of a full segment's subtree. */
export const SEGMENT_HEIGHT = 10;
/** Highest subtree height the contracts accept (`zeros(63)` is the last entry of their table). */
export const MAX_TREE_HEIGHT = 64;
