import { MemData } from "@0glabs/0g-ts-sdk";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/merkle/hex.js";
import {
  FileHasher,
  fileProofToJSON,
  hashFile,
  nodesToRoot,
  numSegmentsPadded,
  SEGMENT_SIZE,
  segmentDataSize,
  segmentRoot,
  verifySegmentProof,
} from "../../src/merkle/index.js";
import { xorshiftBytes as fileBytes } from "../utils/xorshiftBytes.js";

// Differential tests against 0G's own TS SDK (@0glabs/0g-ts-sdk 0.3.3): roots, submission nodes and every segment
// proof must be byte-identical.

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [
  1,
  11,
  255,
  256,
  257,
  600,
  4096,
  4097,
  256 * KiB - 1,
  256 * KiB,
  256 * KiB + 1,
  2 * SEGMENT_SIZE - 256,
  2 * SEGMENT_SIZE + 1,
  3 * SEGMENT_SIZE,
  1500 * 256,
  3073 * 256,
  4097 * 256, // last segment short, 512-chunk padding granule
  16 * SEGMENT_SIZE,
  16 * SEGMENT_SIZE + 1, // padding adds whole segments
  17 * SEGMENT_SIZE - 1,
  5 * MiB + 1,
];

async function compareWith0G(size: number, seed: number): Promise<void> {
  const data = fileBytes(size, seed);
  const [tree, err] = await new MemData(data).merkleTree();
  expect(err).toBeNull();
  const [submission, subErr] = await new MemData(data).createSubmission("0x");
  expect(subErr).toBeNull();

  // Odd slicing on purpose: partial chunks across update() calls.
  const hasher = new FileHasher(size);
  for (let off = 0; off < size; off += 77_777) hasher.update(data.subarray(off, Math.min(size, off + 77_777)));
  const d = hasher.digest();

  expect(toHex(d.root)).toBe(tree!.rootHash());
  expect(d.nodes.map((n) => ({ height: n.height, root: toHex(n.root) }))).toEqual(
    submission!.nodes.map((n) => ({ height: Number(n.height), root: n.root })),
  );
  expect(nodesToRoot(d.nodes)).toEqual(d.root);
  expect(d.tree.numLeaves).toBe(tree!.leaves.length);
  expect(d.tree.numLeaves).toBe(numSegmentsPadded(size));

  for (let i = 0; i < d.tree.numLeaves; i++) {
    expect(toHex(d.segmentRoots[i]!)).toBe(tree!.leaves[i]!.hash);
    const ours = fileProofToJSON(d.tree.proofAt(i));
    const theirs = tree!.proofAt(i);
    expect(ours).toEqual({ lemma: theirs.lemma, path: theirs.path });
    // The segment as uploaded (data chunks only) gives the same root.
    const start = i * SEGMENT_SIZE;
    const uploaded = new Uint8Array(segmentDataSize(i, size));
    uploaded.set(data.subarray(start, Math.min(size, start + uploaded.length)));
    const root = segmentRoot(uploaded, i, size);
    expect(root).toEqual(d.segmentRoots[i]);
    verifySegmentProof({ root: d.root, segmentRoot: root, index: i, fileSize: size, proof: d.tree.proofAt(i) });
  }
}

describe("Merkle maths vs @0glabs/0g-ts-sdk", () => {
  it.each(SIZES)("size %i: root, nodes, segment roots and proofs are byte-identical", async (size) => {
    await compareWith0G(size, size);
  });

  it("random sizes up to 3 MiB (fixed seed)", async () => {
    let x = 12345;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    for (let k = 0; k < 12; k++) {
      const size = 1 + (next() % (k < 6 ? 20_000 : 3 * MiB));
      await compareWith0G(size, next());
    }
  });

  it("0 bytes: 0G builds no tree and no nodes; we refuse clearly", async () => {
    const [tree] = await new MemData(new Uint8Array(0)).merkleTree();
    expect(tree).toBeNull();
    const [submission] = await new MemData(new Uint8Array(0)).createSubmission("0x");
    expect(submission!.nodes).toEqual([]);
    expect(() => new FileHasher(0)).toThrowError(/empty file/);
    expect(() => hashFile(new Uint8Array(0))).toThrowError(expect.objectContaining({ code: "MERKLE_BAD_INPUT" }));
  });
});
