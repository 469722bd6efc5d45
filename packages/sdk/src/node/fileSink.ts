import { type FileHandle, open, rename, rm } from "node:fs/promises";
import type { DataSink } from "../storage/types.js";

export interface FileSink extends DataSink {
  readonly path: string;
  /** Flushes and moves the file into place. */
  close(): Promise<void>;
  /** Closes and deletes what was written (a failed download leaves nothing behind). */
  abort(): Promise<void>;
}

export interface FileSinkOptions {
  /**
   * Start flushing to the device in the background after every this many bytes (default 64 MiB; 0: only at close), so
   * that `close()` waits for the tail of the file rather than all of it.
   */
  flushEveryBytes?: number;
}

/**
 * A `DataSink` writing to `path`. Bytes go to `path + ".part"` until `close()`, which makes them durable and renames
 * the file, so `path` never holds a partial file.
 */
export async function createFileSink(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
  const partPath = `${path}.part`;
  const handle: FileHandle = await open(partPath, "w");
  const flushEvery = options.flushEveryBytes ?? 64 << 20;
  let closed = false;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  let flushError: unknown;
  const flushInBackground = () => {
    unflushed = 0;
    flushing = handle.datasync().then(
      () => {
        flushing = undefined;
      },
      (e: unknown) => {
        flushError ??= e;
        flushing = undefined;
      },
    );
  };
  return {
    path,
    async write(bytes) {
      if (flushError) throw flushError;
      let done = 0;
      while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
      unflushed += bytes.length;
      if (flushEvery > 0 && unflushed >= flushEvery && !flushing) flushInBackground();
    },
    async close() {
      if (closed) return;
      closed = true;
      await flushing;
      if (flushError) {
        await handle.close();
        await rm(partPath, { force: true });
        throw flushError;
      }
      await handle.sync();
      await handle.close();
      await rename(partPath, path);
    },
    async abort() {
      if (closed) return;
      closed = true;
      await flushing;
      await handle.close();
      await rm(partPath, { force: true });
    },
  };
}
