import { createMPT, verifyMerkleProof } from "@ethereumjs/mpt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex, EMPTY_TRIE_ROOT, keccak256, MemoryStore, MerklePatriciaTrie, rlpEncode, verifyTrieProof } from "../../src/index.js";

type Op = { key: Uint8Array; value: Uint8Array };

// Keys from a small alphabet so random runs produce shared prefixes, splits and collapses.
const keyArb = fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => b.map((x) => x & 0x13));
const valueArb = fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 3 }), fc.uint8Array({ minLength: 30, maxLength: 40 }));
const opsArb = fc.array(fc.record({ key: keyArb, value: valueArb }), { maxLength: 60 });

async function referenceRoot(ops: Op[]): Promise<Uint8Array> {
  const ref = await createMPT({});
  for (const { key, value } of ops) {
    if (value.length === 0) await ref.del(key);
    else await ref.put(key, value);
  }
  return ref.root();
}

describe("MerklePatriciaTrie", () => {
  it("an empty trie has the empty root", () => {
    expect(new MerklePatriciaTrie().rootHash()).toEqual(EMPTY_TRIE_ROOT);
  });

  it("matches @ethereumjs/mpt roots for random puts and deletes", async () => {
    await fc.assert(
      fc.asyncProperty(opsArb, async (ops) => {
        const t = new MerklePatriciaTrie();
        for (const { key, value } of ops) t.put(key, value);
        expect(bytesToHex(t.rootHash())).toBe(bytesToHex(await referenceRoot(ops)));
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it("roots stay correct across commits and reloads from the node store", async () => {
    await fc.assert(
      fc.asyncProperty(opsArb, opsArb, async (first, second) => {
        const db = new MemoryStore();
        const store = { getNode: (h: Uint8Array) => db.get(h) };
        const t1 = new MerklePatriciaTrie({ db: store });
        for (const { key, value } of first) t1.put(key, value);
        const c1 = t1.commit();
        await db.batch(c1.nodes.map(([key, value]) => ({ type: "put" as const, key, value })));
        // A fresh trie at the committed root sees the same data and takes further updates.
        const t2 = new MerklePatriciaTrie({ root: c1.root, db: store });
        for (const { key, value } of second) t2.put(key, value);
        expect(bytesToHex(t2.commit().root)).toBe(bytesToHex(await referenceRoot([...first, ...second])));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it("get returns the last value written", () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const t = new MerklePatriciaTrie();
        const model = new Map<string, Uint8Array>();
        for (const { key, value } of ops) {
          t.put(key, value);
          if (value.length === 0) model.delete(bytesToHex(key));
          else model.set(bytesToHex(key), value);
        }
        for (const { key } of ops) expect(t.get(key)).toEqual(model.get(bytesToHex(key)));
        expect([...t.entries()].length).toBe(model.size);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it("proofs verify with ours and with @ethereumjs/mpt, and a tampered proof fails", async () => {
    const t = new MerklePatriciaTrie();
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) {
      const k = keccak256(rlpEncode(i));
      keys.push(k);
      t.put(k, rlpEncode([i, keccak256(Uint8Array.of(i))]));
    }
    const root = t.rootHash();
    for (const k of keys.slice(0, 50)) {
      const proof = t.prove(k);
      expect(verifyTrieProof(root, k, proof)).toEqual(t.get(k));
      expect(await verifyMerkleProof(k, proof, { useKeyHashing: false })).toEqual(t.get(k));
    }
    const absent = keccak256(Uint8Array.of(1, 2, 3));
    expect(verifyTrieProof(root, absent, t.prove(absent))).toBeUndefined();
    const proof = t.prove(keys[0]!);
    const bad = proof.map((p) => Uint8Array.from(p));
    bad[bad.length - 1]![5]! ^= 1;
    expect(() => verifyTrieProof(root, keys[0]!, bad)).toThrow();
  });
});
