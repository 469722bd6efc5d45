import { hashPair } from "@zerog/core/merkle";
import { afterEach, describe, expect, it } from "vitest";
import { FakeFlow, makeFile, makeStore, type StoreFixture } from "../fixtures.js";

let fx: StoreFixture | null = null;
afterEach(() => {
  fx?.cleanup();
  fx = null;
});

describe("sector proofs", () => {
  it("prove data, gap, padding and dummy sectors against the flow root", async () => {
    fx = makeStore();
    const flow = new FakeFlow();
    const files = [makeFile(1000, 1), makeFile(3 * 262_144 + 700, 2), makeFile(5000, 3), makeFile(262_144, 4)];
    const txs = [];
    for (const f of files) {
      const tx = flow.submit(f);
      txs.push(tx);
      await fx.store.putTx(tx);
      for (const s of f.segments) await fx.store.putSegment(s, tx);
    }
    const root = fx.store.flowRoot;
    const length = fx.store.flowLength;
    const sectors = new Set([0, 1, length - 1]);
    for (const tx of txs) for (const d of [-1, 0, 1, 1023, 1024, 2500, Math.ceil(tx.size / 256)]) sectors.add(tx.startEntryIndex + d);
    for (const sector of [...sectors].filter((s) => s >= 0 && s < length)) {
      const proof = fx.store.sectorProof(sector);
      expect(proof, `sector ${sector}`).toBeDefined();
      const { lemma, path } = proof!;
      expect(lemma.at(-1)).toEqual(root);
      let acc = lemma[0]!;
      let pos = 0;
      for (let i = 0; i < path.length; i++) {
        acc = path[i] ? hashPair(acc, lemma[i + 1]!) : hashPair(lemma[i + 1]!, acc);
        if (!path[i]) pos += 2 ** i;
      }
      expect(acc).toEqual(root);
      expect(pos).toBe(sector);
    }
  });

  it("has no proof for a sector whose segment is not uploaded", async () => {
    fx = makeStore();
    const flow = new FakeFlow();
    const f = makeFile(2 * 262_144, 9);
    const tx = flow.submit(f);
    await fx.store.putTx(tx);
    await fx.store.putSegment(f.segments[0]!, tx);
    expect(fx.store.sectorProof(tx.startEntryIndex + 5)).toBeDefined();
    expect(fx.store.sectorProof(tx.startEntryIndex + 1024 + 5)).toBeUndefined();
  });
});
