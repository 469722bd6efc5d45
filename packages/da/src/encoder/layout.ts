import { DaError, DaErrorCode } from "../errors.js";
import {
  BYTES_PER_FIELD_ELEMENT,
  BYTES_PER_ROW,
  DATA_BYTES_PER_FIELD_ELEMENT,
  DATA_BYTES_PER_ROW,
  FIELD_ELEMENTS_PER_ROW,
  LENGTH_PREFIX_BYTES,
  MAX_BLOB_BYTES,
  MIN_BLOB_BYTES,
} from "./params.js";

/** Rows a blob of `size` bytes takes: its 4-byte length prefix and data, 126,976 bytes per row. */
export function rowCount(size: number): number {
  checkBlobSize(size);
  return Math.ceil((size + LENGTH_PREFIX_BYTES) / DATA_BYTES_PER_ROW);
}

export function checkBlobSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < MIN_BLOB_BYTES || size > MAX_BLOB_BYTES) {
    throw new DaError(
      { code: DaErrorCode.BLOB_SIZE, size, max: MAX_BLOB_BYTES },
      `a blob must hold ${MIN_BLOB_BYTES} to ${MAX_BLOB_BYTES} bytes (16 MiB); this one has ${size}`,
    );
  }
}

/**
 * Lays a blob out as rows of the EIP-4844 blob format. The byte stream `u32be(size) ‖ data ‖ zeros` fills field
 * elements 31 bytes at a time: stream byte k lands in row ⌊k / 126976⌋, field element ⌊(k mod 126976) / 31⌋, at byte
 * 1 + (k mod 126976) mod 31 of that element's 32 big-endian bytes; byte 0 of every element is 0, so each is a canonical
 * BLS12-381 scalar. The last row is zero-padded.
 */
export function blobToRows(data: Uint8Array): Uint8Array[] {
  const rows = rowCount(data.length);
  const stream = new Uint8Array(rows * DATA_BYTES_PER_ROW);
  new DataView(stream.buffer).setUint32(0, data.length);
  stream.set(data, LENGTH_PREFIX_BYTES);
  const out: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) {
    const row = new Uint8Array(BYTES_PER_ROW);
    const base = r * DATA_BYTES_PER_ROW;
    for (let e = 0; e < FIELD_ELEMENTS_PER_ROW; e++) {
      const from = base + e * DATA_BYTES_PER_FIELD_ELEMENT;
      row.set(stream.subarray(from, from + DATA_BYTES_PER_FIELD_ELEMENT), e * BYTES_PER_FIELD_ELEMENT + 1);
    }
    out.push(row);
  }
  return out;
}

/**
 * The blob laid out in `rows` (inverse of `blobToRows`). Throws `BAD_ENCODING` unless every element's first byte is
 * 0, the length prefix fits the rows, the row count is the one that length needs, and everything after the data is 0.
 */
export function rowsToBlob(rows: readonly Uint8Array[]): Uint8Array {
  if (rows.length === 0) throw badEncoding("no rows");
  const stream = new Uint8Array(rows.length * DATA_BYTES_PER_ROW);
  rows.forEach((row, r) => {
    if (row.length !== BYTES_PER_ROW) throw badEncoding(`row ${r} has ${row.length} bytes, not ${BYTES_PER_ROW}`);
    for (let e = 0; e < FIELD_ELEMENTS_PER_ROW; e++) {
      const at = e * BYTES_PER_FIELD_ELEMENT;
      if (row[at] !== 0) throw badEncoding(`row ${r}, field element ${e}: its first byte is not 0`);
      stream.set(row.subarray(at + 1, at + BYTES_PER_FIELD_ELEMENT), r * DATA_BYTES_PER_ROW + e * DATA_BYTES_PER_FIELD_ELEMENT);
    }
  });
  const size = new DataView(stream.buffer).getUint32(0);
  if (size < MIN_BLOB_BYTES || size > MAX_BLOB_BYTES || Math.ceil((size + LENGTH_PREFIX_BYTES) / DATA_BYTES_PER_ROW) !== rows.length)
    throw badEncoding(`the length prefix ${size} does not fit ${rows.length} rows`);
  const end = LENGTH_PREFIX_BYTES + size;
  for (let k = end; k < stream.length; k++) if (stream[k] !== 0) throw badEncoding(`non-zero padding at stream byte ${k}`);
  return stream.slice(LENGTH_PREFIX_BYTES, end);
}

function badEncoding(detail: string): DaError {
  return new DaError({ code: DaErrorCode.BAD_ENCODING, detail }, `not a blob encoding: ${detail}`);
}
