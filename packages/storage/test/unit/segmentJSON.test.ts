import { FileHasher } from "@zerog/core/merkle";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64RawJSON, segmentToJSON, segmentToRawJSON } from "../../src/flow/segment.js";

const text = (raw: { bytes: Uint8Array }) => Buffer.from(raw.bytes).toString("utf8");

/** A segment of `n` data bytes with a real proof of a file of `fileSize` bytes (the proof only has to be well formed). */
function segmentOf(n: number, seed: number, fileSize: number, index: number) {
  const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff);
  const hasher = new FileHasher(fileSize);
  hasher.update(new Uint8Array(fileSize));
  const { root, tree } = hasher.digest();
  return { root, data, index, proof: tree.proofAt(index), fileSize };
}

describe("segmentToRawJSON", () => {
  it("is byte-identical to JSON.stringify(segmentToJSON(...)) across base64 piece boundaries", () => {
    // 3 × 16384 is one base64 piece; sizes around it, a whole segment, and lengths that are not a multiple of 3.
    for (const n of [0, 1, 2, 256, 49151, 49152, 49153, 98304, 98560, 262144]) {
      const seg = segmentOf(n, n, 7 * 262144 + 513, Math.min(6, n % 7));
      expect(text(segmentToRawJSON(seg)), String(n)).toBe(JSON.stringify(segmentToJSON(seg)));
    }
  });

  it("matches for any data, index and file size (property)", () => {
    const seg = segmentOf(0, 0, 3 * 262144, 2);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120_000 }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        (data, index, fileSize) => {
          const s = { ...seg, data, index, fileSize };
          expect(text(segmentToRawJSON(s))).toBe(JSON.stringify(segmentToJSON(s)));
        },
      ),
      { numRuns: 50, seed: 7 },
    );
  });

  it("base64RawJSON is the JSON string of the base64", () => {
    for (const n of [0, 1, 256, 49152, 49153, 262144]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
      expect(text(base64RawJSON(data))).toBe(JSON.stringify(Buffer.from(data).toString("base64")));
    }
  });
});
