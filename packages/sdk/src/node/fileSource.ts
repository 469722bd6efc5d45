import { type FileHandle, open } from "node:fs/promises";
import type { DataSource } from "../storage/types.js";

export interface FileSource extends DataSource {
  readonly path: string;
  close(): Promise<void>;
}

/** A `DataSource` over a file: positional reads through one FileHandle, so memory stays flat whatever the size. */
export async function openFileSource(path: string): Promise<FileSource> {
  const handle: FileHandle = await open(path, "r");
  const { size } = await handle.stat();
  return {
    path,
    size,
    async read(offset, length) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await handle.read(buf, done, buf.length - done, offset + done);
        if (bytesRead === 0) return buf.subarray(0, done);
        done += bytesRead;
      }
      return buf;
    },
    close: () => handle.close(),
  };
}
