import { hashFile, SEGMENT_SIZE } from "@zerog/core/merkle";
import { toHex } from "viem";
import { describe, expect, it } from "vitest";
import { createBytesSource } from "../../src/index.js";
import { checkDownloadedSegment, readSegment } from "../../src/storage/segments.js";

function fileOf(size: number, seed = 7): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

// Segments as uploadFile builds them must pass the check downloadFile applies, and any change must fail it.
describe("segment read and check", () => {
  for (const size of [1, 255, 256, 257, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 1000]) {
    it(`round-trips every segment of a ${size}-byte file`, async () => {
      const data = fileOf(size);
      const { root, tree } = hashFile(data);
      const rootHex = toHex(root);
      const source = createBytesSource(data);
      const out: Uint8Array[] = [];
      for (let i = 0; i * SEGMENT_SIZE < size; i++) {
        const seg = await readSegment(source, tree, rootHex, i);
        expect(seg.data.length % 256).toBe(0);
        const r = checkDownloadedSegment(seg, { root: rootHex, index: i, fileSize: size });
        if (!r.ok) throw new Error(r.reason);
        out.push(r.bytes);
      }
      expect(Buffer.concat(out)).toEqual(Buffer.from(data));
    });
  }

  it("rejects a flipped byte, a wrong index, a wrong size and truncated data", async () => {
    const size = 2 * SEGMENT_SIZE + 300;
    const data = fileOf(size);
    const { root, tree } = hashFile(data);
    const rootHex = toHex(root);
    const seg = await readSegment(createBytesSource(data), tree, rootHex, 1);
    const expectFail = (s: typeof seg, want: RegExp, index = 1, fileSize = size) => {
      const r = checkDownloadedSegment(s, { root: rootHex, index, fileSize });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(want);
    };
    const flipped = seg.data.slice();
    flipped[1234] = flipped[1234]! ^ 1;
    expectFail({ ...seg, data: flipped }, /proof does not verify/);
    expectFail(seg, /asked for segment 2/, 2);
    expectFail({ ...seg, fileSize: size + 1 }, /file size/);
    expectFail({ ...seg, data: seg.data.subarray(0, SEGMENT_SIZE - 256) }, /bytes of data/);
    // The right bytes with the proof of another segment fail on position.
    const other = await readSegment(createBytesSource(data), tree, rootHex, 0);
    expectFail({ ...seg, proof: other.proof }, /proof does not verify/);
  });
});
