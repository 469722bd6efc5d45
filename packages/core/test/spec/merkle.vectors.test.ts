import { describe, expect, it } from "vitest";
import { toHex } from "../../src/merkle/hex.js";
import { hashChunk, hashFile, nodesToRoot, numChunks, paddedChunks, submissionHeights, ZERO_HASHES } from "../../src/merkle/index.js";

// Pinned vectors from ../shared/reference/storage.md §1.3 (computed with @0glabs/0g-ts-sdk 0.3.3 MemData) and the
// Flow contract's zeros() table.
describe("0G Storage Merkle vectors", () => {
  it("ZERO[0] is keccak of 256 zero bytes; ZERO[i] matches the contract's zeros(i)", () => {
    expect(toHex(ZERO_HASHES[0]!)).toBe("0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5");
    expect(toHex(hashChunk(new Uint8Array(256)))).toBe(toHex(ZERO_HASHES[0]!));
    expect(toHex(ZERO_HASHES[1]!)).toBe("0xf73e6947d7d1628b9976a6e40d7b278a8a16405e96324a68df45b12a51b7cfde");
    expect(toHex(ZERO_HASHES[10]!)).toBe("0xe68d02859bb6211cec64f52368b77d422de3b8eac34bf615942b814b643301b5");
    expect(toHex(ZERO_HASHES[12]!)).toBe("0x6e250d9abdbbb3993fce08de0395cdb56f0483e67d8762a798de011f6a50866a");
    expect(toHex(ZERO_HASHES[63]!)).toBe("0xb48a92d40b61dc995ceecee4cded6415050dcece448b1e0b5e5b6a0e6981f3ef");
    expect(ZERO_HASHES).toHaveLength(65);
  });

  it('"hello world" (11 B): one height-0 node equal to the root', () => {
    const d = hashFile(new TextEncoder().encode("hello world"));
    expect(toHex(d.root)).toBe("0x62c5d8e26d8bb05622e88c9819283ad82e722db87816f1962ce2810ea565aae5");
    expect(d.nodes.map((n) => [n.height, toHex(n.root)])).toEqual([[0, toHex(d.root)]]);
  });

  it("256 zero bytes hash to ZERO[0]; 1 MiB of zeros to ZERO[12]", () => {
    expect(hashFile(new Uint8Array(256)).root).toEqual(ZERO_HASHES[0]);
    const d = hashFile(new Uint8Array(1 << 20));
    expect(toHex(d.root)).toBe(toHex(ZERO_HASHES[12]!));
    expect(d.nodes.map((n) => [n.height, toHex(n.root)])).toEqual([[12, toHex(ZERO_HASHES[12]!)]]);
  });

  it("600 B, b[i] = i & 0xff: root and nodes [1, 0xd76b…], [0, 0x45b6…]", () => {
    const d = hashFile(Uint8Array.from({ length: 600 }, (_, i) => i & 0xff));
    expect(toHex(d.root)).toBe("0xac1d9d9786f6498e96645276fc7472d61242d8ae908428ec8dc8b45cc9cda47e");
    expect(d.nodes.map((n) => [n.height, toHex(n.root)])).toEqual([
      [1, "0xd76b58e9367fa47b81706ef89f484d4268de3ae3e05d853ff844839ac7ea3320"],
      [0, "0x45b6d54d953d45b6c5a84361757921064cd89d1248d54931d587f38ad490f47e"],
    ]);
    expect(nodesToRoot(d.nodes)).toEqual(d.root);
  });

  it("submission heights: 1500 chunks → [10, 9]; 3073 chunks → [11, 10, 8]", () => {
    expect(submissionHeights(1500 * 256)).toEqual([10, 9]);
    expect(submissionHeights(3073 * 256)).toEqual([11, 10, 8]);
    expect(paddedChunks(1500 * 256)).toBe(1536);
    expect(paddedChunks(3073 * 256)).toBe(3328);
  });

  it("0-byte files have no chunks and no nodes, as in 0G", () => {
    expect(numChunks(0)).toBe(0);
    expect(paddedChunks(0)).toBe(0);
    expect(submissionHeights(0)).toEqual([]);
  });
});
