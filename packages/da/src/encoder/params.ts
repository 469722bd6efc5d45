// The blob layout: rows in the EIP-4844 blob format, each extended 2x into EIP-7594 cells (c-kzg 4).

/** Field elements per row (an EIP-4844 blob). */
export const FIELD_ELEMENTS_PER_ROW = 4096;
export const BYTES_PER_FIELD_ELEMENT = 32;
/** Bytes of blob data per field element: its first (most significant) byte is always 0, so it is below the modulus. */
export const DATA_BYTES_PER_FIELD_ELEMENT = 31;
/** Bytes of one row as c-kzg takes it (131,072). */
export const BYTES_PER_ROW = FIELD_ELEMENTS_PER_ROW * BYTES_PER_FIELD_ELEMENT;
/** Blob bytes carried by one row (126,976). */
export const DATA_BYTES_PER_ROW = FIELD_ELEMENTS_PER_ROW * DATA_BYTES_PER_FIELD_ELEMENT;
/** Cells of an extended row; the first `DATA_CELLS_PER_ROW` are the row itself (the extension is systematic). */
export const CELLS_PER_ROW = 128;
export const DATA_CELLS_PER_ROW = 64;
export const FIELD_ELEMENTS_PER_CELL = 64;
export const BYTES_PER_CELL = FIELD_ELEMENTS_PER_CELL * BYTES_PER_FIELD_ELEMENT;
export const BYTES_PER_COMMITMENT = 48;
export const BYTES_PER_PROOF = 48;
/** The blob's length, big-endian, before its data. */
export const LENGTH_PREFIX_BYTES = 4;
export const MIN_BLOB_BYTES = 1;
export const MAX_BLOB_BYTES = 16 * 1024 * 1024;
/** Rows of the largest blob (133). */
export const MAX_ROWS = Math.ceil((MAX_BLOB_BYTES + LENGTH_PREFIX_BYTES) / DATA_BYTES_PER_ROW);
