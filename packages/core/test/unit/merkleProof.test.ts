import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FileMerkleTree,
  type FileProof,
  fileProofFromJSON,
  fileProofToJSON,
  hashFile,
  hashPair,
  MerkleError,
  numSegments,
  numSegmentsPadded,
  SEGMENT_SIZE,
  segmentDataSize,
  segmentRoot,
  verifySegmentProof,
  ZERO_HASHES,
} from "../../src/merkle/index.js";
import { xorshiftBytes as fileBytes } from "../utils/xorshiftBytes.js";

function randomHash(seed: number): Uint8Array {
  return fileBytes(32, seed * 2654435761 + 7);
}

/** A file tree with random data-segment roots and the true roots of rear-padding segments (ZERO[10]). */
function synthTree(fileSize: number, seed: number, paddingRoot = (_i: number) => ZERO_HASHES[10]!): FileMerkleTree {
  const data = numSegments(fileSize);
  const roots = Array.from({ length: numSegmentsPadded(fileSize) }, (_, i) => (i < data ? randomHash(seed + i) : paddingRoot(i)));
  return FileMerkleTree.fromSegmentRoots(roots);
}

function expectInvalid(f: () => void): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MerkleError);
    expect((e as MerkleError).code).toBe("MERKLE_PROOF_INVALID");
    return;
  }
  throw new Error("expected verifySegmentProof to throw");
}

function cloneProof(p: FileProof): FileProof {
  return { lemma: p.lemma.map((h) => h.slice()), path: [...p.path] };
}

type Tamper = { kind: "lemma"; at: number; byte: number } | { kind: "path"; at: number } | { kind: "index"; to: number };

const sizeArb = fc.oneof(
  fc.integer({ min: 1, max: 4096 }),
  fc.integer({ min: 1, max: 3 * 1024 * 1024 }),
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => k * SEGMENT_SIZE + d),
);
// Large trees without hashing the data: sizes up to 1.5 GiB.
const bigSizeArb = fc.integer({ min: 1, max: 1536 * 1024 * 1024 });

describe("segment proofs", () => {
  it("every segment proof of random files verifies; any tampering fails with MerkleError", () => {
    fc.assert(
      fc.property(sizeArb, fc.integer(), fc.nat(), fc.nat(), (size, seed, pick, pick2) => {
        const data = fileBytes(size, seed);
        const d = hashFile(data);
        const n = d.tree.numLeaves;
        for (let i = 0; i < n; i++) {
          verifySegmentProof({ root: d.root, segmentRoot: d.segmentRoots[i]!, index: i, fileSize: size, proof: d.tree.proofAt(i) });
        }
        // Flip one byte of one data segment as uploaded.
        const i = pick % numSegments(size);
        const seg = data.slice(i * SEGMENT_SIZE, i * SEGMENT_SIZE + segmentDataSize(i, size));
        const padded = new Uint8Array(segmentDataSize(i, size));
        padded.set(seg);
        padded[pick2 % padded.length]! ^= 1 << (pick2 % 8);
        const proof = d.tree.proofAt(i);
        expectInvalid(() =>
          verifySegmentProof({ root: d.root, segmentRoot: segmentRoot(padded, i, size), index: i, fileSize: size, proof }),
        );
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it("flipping any lemma byte, any path bit, or claiming another index fails (large synthetic trees)", () => {
    const tamperArb = fc.oneof(
      fc.record({ kind: fc.constant("lemma" as const), at: fc.nat(), byte: fc.nat() }),
      fc.record({ kind: fc.constant("path" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("index" as const), to: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.oneof(sizeArb, bigSizeArb), fc.integer(), fc.nat(), tamperArb, (size, seed, pick, t: Tamper) => {
        const tree = synthTree(size, seed);
        const n = tree.numLeaves;
        const i = pick % n;
        const proof = tree.proofAt(i);
        const base = { root: tree.root, segmentRoot: tree.leafAt(i), index: i, fileSize: size };
        verifySegmentProof({ ...base, proof });
        expect(fileProofFromJSON(JSON.parse(JSON.stringify(fileProofToJSON(proof))))).toEqual(proof);
        const bad = cloneProof(proof);
        if (t.kind === "lemma") {
          const at = t.at % bad.lemma.length;
          bad.lemma[at]![t.byte % 32]! ^= 1 << (t.byte % 8);
          expectInvalid(() => verifySegmentProof({ ...base, proof: bad }));
        } else if (t.kind === "path") {
          if (bad.path.length === 0) return;
          const at = t.at % bad.path.length;
          bad.path[at] = !bad.path[at];
          expectInvalid(() => verifySegmentProof({ ...base, proof: bad }));
        } else {
          if (n === 1) return;
          const other = (i + 1 + (t.to % (n - 1))) % n;
          expectInvalid(() => verifySegmentProof({ ...base, index: other, proof }));
          // Also with the right segment root for that index: the path still points elsewhere.
          expectInvalid(() => verifySegmentProof({ ...base, index: other, segmentRoot: tree.leafAt(other), proof }));
        }
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it("truncated, extended and reshaped proofs fail", () => {
    const size = 7 * SEGMENT_SIZE + 5;
    const tree = synthTree(size, 3);
    const base = { root: tree.root, segmentRoot: tree.leafAt(3), index: 3, fileSize: size };
    const proof = tree.proofAt(3);
    expectInvalid(() => verifySegmentProof({ ...base, proof: { lemma: proof.lemma.slice(1), path: proof.path.slice(1) } }));
    expectInvalid(() => verifySegmentProof({ ...base, proof: { lemma: [proof.lemma[0]!, ...proof.lemma], path: [true, ...proof.path] } }));
    expectInvalid(() => verifySegmentProof({ ...base, proof: { lemma: proof.lemma, path: proof.path.slice(1) } }));
    expectInvalid(() => verifySegmentProof({ ...base, proof: { lemma: [tree.root], path: [] } }));
    expectInvalid(() => verifySegmentProof({ ...base, fileSize: size + 3 * SEGMENT_SIZE, proof }));
    expectInvalid(() => verifySegmentProof({ ...base, index: 8, proof }));
    expectInvalid(() => verifySegmentProof({ ...base, index: -1, proof }));
  });

  it("rear-padding siblings must be zero roots: a forged tree whose hashes chain is rejected", () => {
    const withPadding = fc
      .integer({ min: 4 * 1024 * 1024 + 1, max: 600 * 1024 * 1024 })
      .filter((s) => numSegmentsPadded(s) > numSegments(s));
    fc.assert(
      fc.property(withPadding, fc.integer(), fc.nat(), (size, seed, pick) => {
        const honest = synthTree(size, seed);
        const forged = synthTree(size, seed, (i) => randomHash(seed ^ (i * 31 + 1)));
        const dataSegs = numSegments(size);
        const n = forged.numLeaves;
        // Honest proofs of padding segments verify (their root is ZERO[10]).
        for (let i = dataSegs; i < n; i++) {
          verifySegmentProof({ root: honest.root, segmentRoot: ZERO_HASHES[10]!, index: i, fileSize: size, proof: honest.proofAt(i) });
        }
        // The last data segment always has a sibling made only of padding segments somewhere on its path.
        for (const i of [dataSegs - 1, pick % dataSegs]) {
          const proof = forged.proofAt(i);
          // The forged proof chains: only the rear-padding rule can catch it.
          let h = proof.lemma[0]!;
          proof.path.forEach((left, k) => {
            h = left ? hashPair(h, proof.lemma[k + 1]!) : hashPair(proof.lemma[k + 1]!, h);
          });
          expect(h).toEqual(forged.root);
          const p = { root: forged.root, segmentRoot: forged.leafAt(i), index: i, fileSize: size, proof };
          const touchesPadding = proofTouchesPadding(i, n, dataSegs);
          if (i === dataSegs - 1) expect(touchesPadding).toBe(true);
          if (touchesPadding) expect(() => verifySegmentProof(p)).toThrowError(/padding/);
          else verifySegmentProof(p);
        }
        // A forged padding segment's own proof is rejected too.
        const j = dataSegs + (pick % (n - dataSegs));
        expectInvalid(() =>
          verifySegmentProof({ root: forged.root, segmentRoot: forged.leafAt(j), index: j, fileSize: size, proof: forged.proofAt(j) }),
        );
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it("verifySegmentProof rejects malformed inputs with MERKLE_PROOF_INVALID", () => {
    const tree = synthTree(3 * SEGMENT_SIZE, 1);
    const proof = tree.proofAt(2);
    expect(proof.path).toEqual([false]); // promoted level contributes no entry (§1.4)
    expect(proof.lemma).toHaveLength(3);
    expectInvalid(() =>
      verifySegmentProof({ root: tree.root.subarray(1), segmentRoot: tree.leafAt(2), index: 2, fileSize: 3 * SEGMENT_SIZE, proof }),
    );
    expectInvalid(() => verifySegmentProof({ root: tree.root, segmentRoot: tree.leafAt(2), index: 2, fileSize: 0, proof }));
    expectInvalid(() => verifySegmentProof({ root: tree.root, segmentRoot: tree.leafAt(2), index: 2, fileSize: -5, proof }));
    expectInvalid(() =>
      verifySegmentProof({
        root: tree.root,
        segmentRoot: tree.leafAt(2),
        index: 2,
        fileSize: 3 * SEGMENT_SIZE,
        proof: { lemma: [], path: [] },
      }),
    );
  });

  it("fileProofFromJSON rejects bad shapes with MERKLE_BAD_INPUT", () => {
    const good = fileProofToJSON(synthTree(5 * SEGMENT_SIZE, 2).proofAt(4));
    for (const bad of [
      null,
      "x",
      { lemma: good.lemma },
      { lemma: good.lemma, path: good.path.map(() => 1) },
      { lemma: good.lemma.map((h) => h.slice(0, 10)), path: good.path },
      { lemma: good.lemma.map((h) => h.slice(2)), path: good.path },
      { lemma: good.lemma.slice(1), path: good.path },
    ]) {
      expect(() => fileProofFromJSON(bad)).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
    }
    expect(fileProofFromJSON({ lemma: good.lemma.map((h) => h.toUpperCase().replace("0X", "0x")), path: good.path })).toEqual(
      fileProofFromJSON(good),
    );
  });
});

/** Whether segment i's proof in an n-leaf promotion tree has a sibling covering only leaves ≥ dataSegs. */
function proofTouchesPadding(i: number, n: number, dataSegs: number): boolean {
  let pos = 0;
  let m = n;
  while (m > 1) {
    let half = 1;
    while (half * 2 < m) half *= 2;
    if (i < pos + half) {
      if (pos + half >= dataSegs) return true;
      m = half;
    } else {
      if (pos >= dataSegs) return true;
      pos += half;
      m -= half;
    }
  }
  return false;
}
