import { StorageClientError, StorageClientErrorCode } from "./errors.js";
import type { DataSink, DataSource } from "./types.js";

/** A source over bytes in memory (no copy). */
export function createBytesSource(bytes: Uint8Array): DataSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** A source over a browser `Blob`/`File` (or Node's `Blob`): reads slices on demand, never the whole blob. */
export function createBlobSource(blob: Blob): DataSource {
  return {
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

/** A sink that keeps everything in memory; `bytes()` joins what was written. For small files and tests. */
export function createMemorySink(): DataSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  let total = 0;
  return {
    write(b) {
      parts.push(new Uint8Array(b)); // a copy even of a Buffer (whose slice() is a view): the downloader reuses `b`
      total += b.length;
    },
    bytes() {
      const out = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
  };
}

/** Reads `[offset, offset+length)` and checks the source gave exactly that many bytes. */
export async function readExactly(source: DataSource, offset: number, length: number): Promise<Uint8Array> {
  const bytes = await source.read(offset, length);
  if (bytes.length !== length) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "data" },
      `the data source returned ${bytes.length} bytes at offset ${offset} where ${length} were asked; did the file change during the upload?`,
    );
  }
  return bytes;
}
