import { type FileHandle, open, rename, rm } from "node:fs/promises";
import type { DataSink } from "../storage/types.js";

export interface FileSink extends DataSink {
  readonly path: string;
  /** Flushes and moves the file into place. */
  close(): Promise<void>;
  /** Closes and deletes what was written (a failed download leaves nothing behind). */
  abort(): Promise<void>;
}

/**
 * A `DataSink` writing to `path`. Bytes go to `path + ".part"` until `close()`, which renames it, so `path` never
 * holds a partial file.
 */
export async function createFileSink(path: string): Promise<FileSink> {
  const partPath = `${path}.part`;
  const handle: FileHandle = await open(partPath, "w");
  let closed = false;
  return {
    path,
    async write(bytes) {
      let done = 0;
      while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.sync();
      await handle.close();
      await rename(partPath, path);
    },
    async abort() {
      if (closed) return;
      closed = true;
      await handle.close();
      await rm(partPath, { force: true });
    },
  };
}
