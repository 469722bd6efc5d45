import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  FileHasher,
  FileMerkleTree,
  getMerkleBackend,
  hashFile,
  type MerkleBackend,
  numSegmentsPadded,
  promotionRoot,
  SEGMENT_SIZE,
  segmentDataSize,
  segmentRoot,
  setMerkleBackend,
  wasmMerkleBackend,
} from "../../src/merkle/index.js";
import { keccak256 } from "../../src/merkle/keccak.js";
import { installNativeMerkleBackend, nativeMerkle, nativeMerkleBackend, segmentRootAsync } from "../../src/native/index.js";
import { xorshiftBytes as fileBytes } from "../utils/xorshiftBytes.js";

// The native addon (native/keccak.c) against the hash-wasm path: every function, random inputs, bad arguments, and
// the public Merkle API with the native backend installed. Skipped when the addon was not built (no compiler).

const native = nativeMerkle!;
const wasm = wasmMerkleBackend;
const RUNS = { numRuns: 60, seed: 0x6b656363 };

const chunks = (max: number) => fc.integer({ min: 0, max }).chain((n) => fc.uint8Array({ minLength: n * 256, maxLength: n * 256 }));

function withBackend<T>(backend: MerkleBackend, fn: () => T): T {
  const previous = getMerkleBackend();
  setMerkleBackend(backend);
  try {
    return fn();
  } finally {
    setMerkleBackend(previous);
  }
}

// The bulk implementations this CPU supports (4-way AVX2 / AVX-512VL and scalar): each is checked against hash-wasm.
const IMPLS =
  nativeMerkle === null
    ? []
    : ["scalar", "avx2", "avx512"].filter((name) => {
        const previous = native.implementation();
        try {
          native.useImplementation(name);
          return true;
        } catch {
          return false;
        } finally {
          native.useImplementation(previous);
        }
      });

describe.skipIf(nativeMerkle === null).each(IMPLS)("native keccak addon, %s", (impl) => {
  const original = nativeMerkle?.implementation() ?? "scalar";
  beforeAll(() => native.useImplementation(impl));
  afterAll(() => native.useImplementation(original));

  it("keccak256 matches hash-wasm for any length (block boundaries included)", () => {
    for (const len of [0, 1, 135, 136, 137, 271, 272, 273]) {
      const d = fileBytes(len, len + 1);
      expect(native.keccak256(d)).toEqual(keccak256(d));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (d) => {
        expect(native.keccak256(d)).toEqual(keccak256(d));
      }),
      RUNS,
    );
  });

  it("hashChunks and hashPairs match hash-wasm, also from subarrays and in place", () => {
    fc.assert(
      fc.property(chunks(12), fc.integer({ min: 0, max: 7 }), (src, shift) => {
        const n = src.length / 256;
        const a = new Uint8Array(n * 32);
        const b = new Uint8Array(n * 32 + shift).subarray(shift);
        wasm.hashChunks(src, a);
        native.hashChunks(src, b);
        expect(b).toEqual(a);
        const pairs = a.subarray(0, (n >>> 1) * 64);
        const p = new Uint8Array(pairs.length / 2);
        wasm.hashPairs(pairs, p);
        const inPlace = pairs.slice();
        native.hashPairs(inPlace, inPlace.subarray(0, inPlace.length / 2));
        expect(inPlace.subarray(0, p.length)).toEqual(p);
      }),
      RUNS,
    );
  });

  it("promotionRoot matches hash-wasm and leaves its input unchanged", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }).chain((n) => fc.uint8Array({ minLength: n * 32, maxLength: n * 32 })),
        (leaves) => {
          const copy = leaves.slice();
          expect(native.promotionRoot(leaves)).toEqual(wasm.promotionRoot(leaves));
          expect(leaves).toEqual(copy);
        },
      ),
      RUNS,
    );
  });

  it("segmentRoot and segmentRootAsync match hash-wasm (ZERO[0] padding, odd counts)", async () => {
    await fc.assert(
      fc.asyncProperty(chunks(40), fc.integer({ min: 0, max: 50 }), async (data, extra) => {
        const padded = Math.max(1, data.length / 256 + extra);
        const expected = wasm.segmentRoot(data, padded);
        expect(native.segmentRoot(data, padded)).toEqual(expected);
        const pending = native.segmentRootAsync(data, padded);
        data.fill(0xee); // the input is copied before segmentRootAsync returns
        expect(await pending).toEqual(expected);
      }),
      RUNS,
    );
    const full = fileBytes(SEGMENT_SIZE, 7);
    const expected = wasm.segmentRoot(full, 1024);
    expect(native.segmentRoot(full, 1024)).toEqual(expected);
    const results = await Promise.all([0, 1, 2, 3].map(() => native.segmentRootAsync(full, 1024)));
    for (const r of results) expect(r).toEqual(expected);
    expect(native.segmentRoot(new Uint8Array(0), 2000)).toEqual(wasm.segmentRoot(new Uint8Array(0), 2000));
  });
});

describe.skipIf(nativeMerkle === null)("native keccak addon", () => {
  afterEach(() => setMerkleBackend(wasm));

  it("picks the best implementation this CPU supports; unknown names are a RangeError", () => {
    expect(native.implementation()).toBe(IMPLS[IMPLS.length - 1]);
    expect(() => native.useImplementation("neon")).toThrow(RangeError);
    expect(() => native.useImplementation(1 as unknown as string)).toThrow(TypeError);
  });

  it("bad arguments throw TypeError or RangeError, never crash; async ones throw synchronously", () => {
    const u8 = (n: number) => new Uint8Array(n);
    const detached = u8(256);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const notBytes = [
      undefined,
      null,
      1,
      "ab",
      [1, 2],
      new Uint16Array(128),
      new Uint8ClampedArray(256),
      new DataView(new ArrayBuffer(256)),
      new ArrayBuffer(256),
      {},
    ];
    const notCounts = [undefined, null, "1", 1n, {}, Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5, 2 ** 22 + 1, 2 ** 64];
    const f = native as unknown as Record<string, (...args: unknown[]) => unknown>;
    const cases: [string, unknown[], typeof TypeError | typeof RangeError][] = [
      ["keccak256", [], TypeError],
      ["segmentRoot", [u8(256)], TypeError],
      ["segmentRoot", [u8(255), 1], RangeError],
      ["segmentRoot", [u8(512), 1], RangeError],
      ["segmentRootAsync", [u8(512), 1], RangeError],
      ["hashChunks", [u8(256), u8(31)], RangeError],
      ["hashChunks", [u8(256), u8(64)], RangeError],
      ["hashChunks", [u8(300), u8(32)], RangeError],
      ["hashPairs", [u8(64), u8(64)], RangeError],
      ["hashPairs", [u8(63), u8(32)], RangeError],
      ["promotionRoot", [u8(0)], RangeError],
      ["promotionRoot", [u8(33)], RangeError],
      ["hashChunks", [detached, u8(32)], RangeError],
    ];
    for (const bad of notBytes) {
      cases.push(["keccak256", [bad], TypeError], ["promotionRoot", [bad], TypeError]);
      cases.push(["segmentRoot", [bad, 1], TypeError], ["segmentRootAsync", [bad, 1], TypeError]);
      cases.push(
        ["hashChunks", [bad, u8(32)], TypeError],
        ["hashChunks", [u8(256), bad], TypeError],
        ["hashPairs", [bad, u8(32)], TypeError],
      );
    }
    for (const bad of notCounts) {
      const kind = typeof bad === "number" ? RangeError : TypeError;
      cases.push(["segmentRoot", [u8(0), bad], kind], ["segmentRootAsync", [u8(0), bad], kind]);
    }
    const label = (a: unknown) => (ArrayBuffer.isView(a) ? `${a.constructor.name}(${a.byteLength})` : String(a));
    for (const [name, args, kind] of cases) expect(() => f[name]!(...args), `${name}(${args.map(label).join(", ")})`).toThrow(kind);
    // Empty and detached inputs are valid empty inputs.
    expect(native.keccak256(detached)).toEqual(keccak256(new Uint8Array(0)));
    native.hashChunks(u8(0), u8(0));
    expect(native.segmentRoot(detached, 1)).toEqual(wasm.segmentRoot(u8(0), 1));
  });

  it("installs after the self-check; the public API gives the same results with either backend", () => {
    expect(installNativeMerkleBackend()).toBe(true);
    expect(getMerkleBackend()).toBe(nativeMerkleBackend);
    setMerkleBackend(wasm);
    for (const size of [1, 600, 4097, SEGMENT_SIZE - 1, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE, 4097 * 256, 5 * 1024 * 1024 + 1]) {
      const data = fileBytes(size, size);
      const expected = withBackend(wasm, () => hashFile(data));
      const got = withBackend(nativeMerkleBackend!, () => {
        const h = new FileHasher(size);
        for (let off = 0, step = 1; off < size; off += step, step = (step * 7 + 1) % 400_000) h.update(data.subarray(off, off + step));
        return h.digest();
      });
      expect(got.root).toEqual(expected.root);
      expect(got.nodes).toEqual(expected.nodes);
      expect(got.segmentRoots).toEqual(expected.segmentRoots);
      for (let i = 0; i < numSegmentsPadded(size); i++) {
        expect(got.tree.proofAt(i)).toEqual(expected.tree.proofAt(i));
        const seg = data.subarray(i * SEGMENT_SIZE, i * SEGMENT_SIZE + segmentDataSize(i, size));
        const padded = new Uint8Array(Math.ceil(seg.length / 256) * 256);
        padded.set(seg);
        expect(withBackend(nativeMerkleBackend!, () => segmentRoot(padded, i, size))).toEqual(expected.segmentRoots[i]);
      }
    }
    const leaves = Array.from({ length: 37 }, (_, i) => keccak256(Uint8Array.of(i)));
    const expected = withBackend(wasm, () => [promotionRoot(leaves), FileMerkleTree.fromSegmentRoots(leaves).proofAt(36)]);
    expect(withBackend(nativeMerkleBackend!, () => [promotionRoot(leaves), FileMerkleTree.fromSegmentRoots(leaves).proofAt(36)])).toEqual(
      expected,
    );
  });

  it("pinned vectors hold with the native backend", () => {
    installNativeMerkleBackend();
    const hello = hashFile(new TextEncoder().encode("hello world"));
    expect(Buffer.from(hello.root).toString("hex")).toBe("62c5d8e26d8bb05622e88c9819283ad82e722db87816f1962ce2810ea565aae5");
    const d600 = hashFile(Uint8Array.from({ length: 600 }, (_, i) => i & 0xff));
    expect(Buffer.from(d600.root).toString("hex")).toBe("ac1d9d9786f6498e96645276fc7472d61242d8ae908428ec8dc8b45cc9cda47e");
  });
});

describe("segmentRootAsync (convenience)", () => {
  it("equals segmentRoot, with or without the addon, and rejects bad input with MerkleError", async () => {
    const size = 2 * SEGMENT_SIZE + 1000;
    const data = fileBytes(size, 3);
    for (let i = 0; i < numSegmentsPadded(size); i++) {
      const seg = new Uint8Array(Math.ceil(segmentDataSize(i, size) / 256) * 256);
      seg.set(data.subarray(i * SEGMENT_SIZE, i * SEGMENT_SIZE + segmentDataSize(i, size)));
      expect(await segmentRootAsync(seg, i, size)).toEqual(segmentRoot(seg, i, size));
    }
    await expect(segmentRootAsync(new Uint8Array(100), 0, size)).rejects.toMatchObject({ code: "MERKLE_BAD_INPUT" });
    await expect(segmentRootAsync(new Uint8Array(256), 9, size)).rejects.toMatchObject({ code: "MERKLE_BAD_INPUT" });
  });
});
