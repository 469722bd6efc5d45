import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { SECTOR_SIZE, SEGMENT_BYTES, SEGMENTS_PER_DATA_FILE } from "../params.js";

const FILE_BYTES = SEGMENT_BYTES * SEGMENTS_PER_DATA_FILE;

/**
 * The flow's sector data on disk: sparse files of 1024 flow segments (256 MiB) each, sector `s` at
 * byte `s * 256` of the flow. A node writes only its shard's segments, so the rest stay holes (no
 * disk blocks) and read as zeros, which is also what padding is. Writes go to the page cache
 * (`pwrite`), so they survive a killed process; `sync()` pushes them to the device.
 */
export class FlowDataStore {
  private readonly dir: string;
  private readonly fds = new Map<number, number>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  /** Writes `data` (whole sectors) at flow sector `sector`. */
  write(sector: number, data: Uint8Array): void {
    let offset = sector * SECTOR_SIZE;
    let pos = 0;
    while (pos < data.length) {
      const file = Math.floor(offset / FILE_BYTES);
      const inFile = offset - file * FILE_BYTES;
      const n = Math.min(data.length - pos, FILE_BYTES - inFile);
      const fd = this.fd(file, true)!;
      let done = 0;
      while (done < n) done += writeSync(fd, data, pos + done, n - done, inFile + done);
      pos += n;
      offset += n;
    }
  }

  /** Writes `count` zero sectors at `sector`. */
  writeZeros(sector: number, count: number): void {
    const step = SEGMENT_BYTES / SECTOR_SIZE;
    const zeros = new Uint8Array(SEGMENT_BYTES);
    for (let s = sector; s < sector + count; s += step) this.write(s, zeros.subarray(0, Math.min(step, sector + count - s) * SECTOR_SIZE));
  }

  /** Reads `count` sectors at `sector`; never-written sectors read as zeros. */
  read(sector: number, count: number): Uint8Array {
    const out = new Uint8Array(count * SECTOR_SIZE);
    this.readInto(sector, count, out, 0);
    return out;
  }

  /** Reads `count` sectors at `sector` into `out` at `outOffset`; never-written sectors read as zeros. */
  readInto(sector: number, count: number, out: Uint8Array, outOffset: number): void {
    const end = outOffset + count * SECTOR_SIZE;
    let offset = sector * SECTOR_SIZE;
    let pos = outOffset;
    while (pos < end) {
      const file = Math.floor(offset / FILE_BYTES);
      const inFile = offset - file * FILE_BYTES;
      const n = Math.min(end - pos, FILE_BYTES - inFile);
      const fd = this.fd(file, false);
      let done = 0;
      while (fd !== undefined && done < n) {
        const r = readSync(fd, out, pos + done, n - done, inFile + done);
        if (r === 0) break; // past the end of a sparse file: zeros
        done += r;
      }
      // `out` may be reused memory: what the files do not hold reads as zeros.
      if (done < n) out.fill(0, pos + done, pos + n);
      pos += n;
      offset += n;
    }
  }

  /** Pushes written data to the device (used on clean shutdown). */
  sync(): void {
    for (const fd of this.fds.values()) fsyncSync(fd);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  /** Path of the data file holding flow segment `segment` (tests flip bytes in it). */
  pathOfSegment(segment: number): { path: string; offset: number } {
    const file = Math.floor(segment / SEGMENTS_PER_DATA_FILE);
    return { path: this.filePath(file), offset: (segment - file * SEGMENTS_PER_DATA_FILE) * SEGMENT_BYTES };
  }

  private filePath(file: number): string {
    return join(this.dir, `${String(file).padStart(8, "0")}.dat`);
  }

  private fd(file: number, create: boolean): number | undefined {
    let fd = this.fds.get(file);
    if (fd !== undefined) return fd;
    const path = this.filePath(file);
    if (!existsSync(path)) {
      if (!create) return undefined;
      fd = openSync(path, "w+");
    } else fd = openSync(path, "r+");
    this.fds.set(file, fd);
    return fd;
  }
}
