import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/index.js";
import {
  FileHasher,
  FileMerkleTree,
  hashChunk,
  hashFile,
  hashPair,
  nodesToRoot,
  numSegments,
  numSegmentsPadded,
  paddedChunks,
  promotionRoot,
  SEGMENT_SIZE,
  segmentDataSize,
  segmentRoot,
  submissionHeights,
  ZERO_HASHES,
} from "../../src/merkle/index.js";
import { keccak256 } from "../../src/merkle/keccak.js";

function naivePromotion(leaves: Uint8Array[]): Uint8Array {
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

describe("merkle basics", () => {
  it("is browser-safe: no node: imports and no ../hash.js (node:crypto)", () => {
    const dir = join(import.meta.dirname, "../../src/merkle");
    for (const f of readdirSync(dir)) {
      const src = readFileSync(join(dir, f), "utf8");
      expect(src, f).not.toMatch(/from "node:|require\(|from "\.\.\/(hash|bytes)\.js"|Buffer\./);
    }
  });

  it("is re-exported from @zerog/core", () => {
    expect(core.FileHasher).toBe(FileHasher);
    expect(core.ZERO_HASHES).toBe(ZERO_HASHES);
  });

  it("hashChunk zero-pads short chunks and rejects long ones; hashPair is keccak(l ‖ r)", () => {
    const c = Uint8Array.from([1, 2, 3]);
    const full = new Uint8Array(256);
    full.set(c);
    expect(hashChunk(c)).toEqual(keccak256(full));
    expect(hashChunk(new Uint8Array(0))).toEqual(ZERO_HASHES[0]);
    expect(() => hashChunk(new Uint8Array(257))).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
    const l = keccak256(Uint8Array.of(1));
    const r = keccak256(Uint8Array.of(2));
    const lr = new Uint8Array(64);
    lr.set(l);
    lr.set(r, 32);
    expect(hashPair(l, r)).toEqual(keccak256(lr));
  });

  it("promotionRoot and FileMerkleTree match a naive promotion tree", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 70 }), (leaves) => {
        const expected = naivePromotion(leaves);
        expect(promotionRoot(leaves)).toEqual(expected);
        expect(FileMerkleTree.fromSegmentRoots(leaves).root).toEqual(expected);
      }),
      { numRuns: 200, seed: 1 },
    );
    expect(() => promotionRoot([])).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
    expect(() => promotionRoot([new Uint8Array(31)])).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
  });

  it("layout: padding never exceeds 1/16 of nextPow2, heights decrease, at most 4 nodes, fold = root", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 45 }), (size) => {
        const chunks = Math.ceil(size / 256);
        const padded = paddedChunks(size);
        let p2 = 1;
        while (p2 < chunks) p2 *= 2;
        expect(padded).toBeGreaterThanOrEqual(chunks);
        expect(padded - chunks).toBeLessThanOrEqual(Math.max(0, p2 / 16 - 1));
        const hs = submissionHeights(size);
        expect(hs.length).toBeLessThanOrEqual(4);
        expect(hs.reduce((s, h) => s + 2 ** h, 0)).toBe(padded);
        for (let i = 1; i < hs.length; i++) expect(hs[i]).toBeLessThan(hs[i - 1]!);
        expect(numSegmentsPadded(size)).toBe(Math.ceil(padded / 1024));
        expect(numSegments(size)).toBe(Math.ceil(chunks / 1024));
      }),
      { numRuns: 1000, seed: 2 },
    );
  });

  it("FileHasher gives the same digest for any slicing and validates its input", () => {
    const size = 2 * SEGMENT_SIZE + 1000;
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 131) & 0xff);
    const whole = hashFile(data);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 30 }), (cuts) => {
        const h = new FileHasher(size);
        let off = 0;
        for (const c of cuts) {
          const end = Math.min(size, off + c);
          h.update(data.subarray(off, end));
          off = end;
        }
        h.update(data.subarray(off));
        const d = h.digest();
        expect(d.root).toEqual(whole.root);
        expect(d.segmentRoots).toEqual(whole.segmentRoots);
        expect(nodesToRoot(d.nodes)).toEqual(d.root);
      }),
      { numRuns: 30, seed: 4 },
    );
    const h = new FileHasher(10);
    h.update(new Uint8Array(5));
    expect(() => h.digest()).toThrowError(/5 of 10/);
    expect(() => h.update(new Uint8Array(6))).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
    h.update(new Uint8Array(5));
    expect(h.digest()).toBe(h.digest());
    expect(() => h.update(new Uint8Array(0))).toThrowError(/after digest/);
    expect(() => new FileHasher(-1)).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
    expect(() => new FileHasher(1.5)).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
  });

  it("segmentRoot: uploaded data, explicit zero padding and range checks", () => {
    const size = SEGMENT_SIZE + 300; // 1026 chunks → padded 1152: segment 1 has 2 data chunks, 128 leaves
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    const d = hashFile(data);
    expect(paddedChunks(size)).toBe(1152);
    expect(segmentDataSize(1, size)).toBe(512);
    const seg1 = new Uint8Array(512);
    seg1.set(data.subarray(SEGMENT_SIZE));
    expect(segmentRoot(seg1, 1, size)).toEqual(d.segmentRoots[1]);
    const withZeros = new Uint8Array(128 * 256);
    withZeros.set(seg1);
    expect(segmentRoot(withZeros, 1, size)).toEqual(d.segmentRoots[1]);
    expect(() => segmentRoot(new Uint8Array(129 * 256), 1, size)).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
    expect(() => segmentRoot(seg1.subarray(1), 1, size)).toThrowError(/multiple of 256/);
    expect(() => segmentRoot(seg1, 2, size)).toThrowError(/out of range/);
    // A whole padding segment (never uploaded) is the root of 1024 zero chunks.
    const padSize = 16 * SEGMENT_SIZE + 1; // padded to 18 segments
    expect(segmentDataSize(17, padSize)).toBe(0);
    expect(segmentRoot(new Uint8Array(0), 17, padSize)).toEqual(ZERO_HASHES[10]);
  });
});
