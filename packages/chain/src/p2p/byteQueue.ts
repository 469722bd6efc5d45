/**
 * Bytes received from a socket, consumed frame by frame without concatenating every chunk: a frame
 * inside one chunk is a zero-copy view, only frames that straddle chunks are copied.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private offset = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The big-endian unsigned integer of `size` (2 or 4) bytes at the head, or null when fewer are buffered. */
  peekUInt(size: 2 | 4): number | null {
    if (this.length < size) return null;
    const first = this.chunks[0]!;
    if (first.length - this.offset >= size) return size === 2 ? first.readUInt16BE(this.offset) : first.readUInt32BE(this.offset);
    let value = 0;
    let chunk = 0;
    let pos = this.offset;
    for (let i = 0; i < size; i++) {
      while (pos >= this.chunks[chunk]!.length) {
        chunk++;
        pos = 0;
      }
      value = value * 256 + this.chunks[chunk]![pos++]!;
    }
    return value;
  }

  /** Removes and returns the first `n` bytes; the caller checks `length` first. */
  take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const copy = Math.min(n - filled, c.length - this.offset);
      c.copy(out, filled, this.offset, this.offset + copy);
      filled += copy;
      this.advance(copy);
    }
    return out;
  }

  skip(n: number): void {
    while (n > 0) {
      const c = this.chunks[0]!;
      const step = Math.min(n, c.length - this.offset);
      this.advance(step);
      n -= step;
    }
  }

  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }

  private advance(n: number): void {
    this.offset += n;
    this.length -= n;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
