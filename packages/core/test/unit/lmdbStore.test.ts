import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CoreErrorCode, LMDBStore } from "../../src/index.js";

const dirs: string[] = [];
const stores: LMDBStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openStore(dir?: string): { store: LMDBStore; dir: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), "zg-lmdb-"));
  if (!dir) dirs.push(d);
  const store = new LMDBStore({ path: d });
  stores.push(store);
  return { store, dir: d };
}

const k = (...b: number[]) => Uint8Array.from(b);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : undefined);

describe("LMDBStore batch", () => {
  it("applies operations in order within one batch: the last write to a key wins", async () => {
    const { store } = openStore();
    await store.batch([
      { type: "put", key: k(1), value: k(0xa) },
      { type: "put", key: k(1), value: k(0xb) },
      { type: "put", key: k(2), value: k(0xc) },
      { type: "del", key: k(2) },
      { type: "del", key: k(3) },
      { type: "put", key: k(3), value: k(0xd) },
    ]);
    expect(hex(store.get(k(1)))).toBe("0b");
    expect(store.has(k(2))).toBe(false);
    expect(hex(store.get(k(3)))).toBe("0d");
  });

  it("applies batches in the order they were issued, and each is visible once it resolves", async () => {
    const { store } = openStore();
    const writes = [];
    for (let i = 0; i < 50; i++) writes.push(store.batch([{ type: "put", key: k(7), value: k(i) }]));
    await writes[0];
    expect(store.get(k(7))).toBeDefined();
    await Promise.all(writes);
    expect(hex(store.get(k(7)))).toBe((49).toString(16).padStart(2, "0"));
  });

  it("keeps large batches across a reopen, and reads them back in key order", async () => {
    const { store, dir } = openStore();
    const ops = Array.from({ length: 20_000 }, (_, i) => ({
      type: "put" as const,
      key: k(0x20, i >> 8, i & 0xff),
      value: new Uint8Array(100).fill(i & 0xff),
    }));
    await store.batch(ops);
    await store.close();
    const again = openStore(dir).store;
    const keys = [...again.range({ gte: k(0x20), lt: k(0x21) })].map((e) => hex(e.key));
    expect(keys).toHaveLength(20_000);
    expect(keys).toEqual([...keys].sort());
    expect(again.get(k(0x20, 0x4e, 0x1f))?.[99]).toBe(0x1f);
  });

  it("rejects a batch on a closed store with DB_ERROR", async () => {
    const { store } = openStore();
    await store.close();
    await expect(store.batch([{ type: "put", key: k(1), value: k(1) }])).rejects.toMatchObject({
      code: CoreErrorCode.DB_ERROR,
    });
  });
});
