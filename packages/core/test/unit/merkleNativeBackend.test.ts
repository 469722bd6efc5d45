import { describe, it } from "vitest";
import { getMerkleBackend } from "../../src/merkle/index.js";
import { installNativeMerkleBackend, nativeMerkle } from "../../src/native/index.js";

// Runs every existing Merkle test file again with the native backend installed (this file's module graph is its
// own, so the backend swap does not leak into the wasm runs of those files).
if (nativeMerkle !== null && installNativeMerkleBackend()) {
  describe("existing Merkle tests, native backend", async () => {
    it("has the native backend installed", ({ expect }) => expect(getMerkleBackend().name).toBe("native"));
    await import("./merkleBasics.test.js");
    await import("./merkleDifferential.test.js");
    await import("./merkleFlow.test.js");
    await import("./merkleProof.test.js");
    await import("../spec/merkle.vectors.test.js");
  });
} else {
  describe.skip("existing Merkle tests, native backend (addon not built)", () => {
    it("skipped", () => {});
  });
}
