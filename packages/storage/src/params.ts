/** Protocol constants of the storage node (reference §1.1); Merkle constants live in `@zerog/core/merkle`. */
export const SECTOR_SIZE = 256;
/** Sectors (chunks) per segment: the upload, shard and storage unit. */
export const SECTORS_PER_SEGMENT = 1024;
export const SEGMENT_BYTES = SECTOR_SIZE * SECTORS_PER_SEGMENT;
/** Flow segments per data file on disk (256 MiB files). */
export const SEGMENTS_PER_DATA_FILE = 1024;
/** The p2p protocol version 0G nodes report in `networkIdentity`. */
export const P2P_PROTOCOL_VERSION = { major: 0, minor: 4, build: 0 } as const;
