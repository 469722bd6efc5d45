import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { open } from "lmdb";

/**
 * The chain's access pattern: one atomic batch per block of random 32-byte keys (trie nodes,
 * accounts, storage, tx index) with 40–500 byte values, into a growing database; point reads of
 * existing keys in between (state and trie lookups on the execution path).
 */
export interface KVResult {
  engine: string;
  blockWritesPerSec: number;
  putsPerSec: number;
  readsPerSec: number;
}

interface Engine {
  name: string;
  write(entries: [Buffer, Buffer][]): Promise<void>;
  read(key: Buffer): Buffer | undefined;
  close(): Promise<void>;
}

async function lmdbEngine(path: string, noSync: boolean): Promise<Engine> {
  const db = open<Buffer, Buffer>({ path, encoding: "binary", keyEncoding: "binary", compression: false, noSync, cache: false });
  return {
    name: noSync ? "lmdb 3 (noSync)" : "lmdb 3 (fsync per batch)",
    async write(entries) {
      await db.transaction(() => {
        for (const [k, v] of entries) db.put(k, v);
      });
      await db.flushed;
    },
    read: (k) => db.getBinary(k),
    close: () => db.close(),
  };
}

async function levelEngine(path: string, sync: boolean): Promise<Engine> {
  const db = new ClassicLevel<Buffer, Buffer>(path, { keyEncoding: "buffer", valueEncoding: "buffer" });
  await db.open();
  return {
    name: sync ? "classic-level 3 (sync batch)" : "classic-level 3 (no sync)",
    async write(entries) {
      await db.batch(
        entries.map(([key, value]) => ({ type: "put" as const, key, value })),
        { sync },
      );
    },
    read: (k) => db.getSync(k),
    close: () => db.close(),
  };
}

export async function benchKV(blocks = 60, perBlock = 10_000): Promise<KVResult[]> {
  const makers: ((p: string) => Promise<Engine>)[] = [
    (p) => lmdbEngine(p, false),
    (p) => lmdbEngine(p, true),
    (p) => levelEngine(p, true),
    (p) => levelEngine(p, false),
  ];
  const out: KVResult[] = [];
  for (const make of makers) {
    const dir = mkdtempSync(join(tmpdir(), "zg-kv-"));
    const db = await make(dir);
    const keys: Buffer[] = [];
    let writeMs = 0;
    for (let b = 0; b < blocks; b++) {
      const entries: [Buffer, Buffer][] = [];
      for (let i = 0; i < perBlock; i++) {
        const k = randomBytes(33);
        entries.push([k, randomBytes(40 + ((i * 37) % 460))]);
        if (i % 10 === 0) keys.push(k);
      }
      const t = performance.now();
      await db.write(entries);
      writeMs += performance.now() - t;
    }
    const sample = Array.from({ length: 100_000 }, (_, i) => keys[(i * 7919) % keys.length]!);
    const t = performance.now();
    let found = 0;
    for (const k of sample) if (db.read(k)) found++;
    const readMs = performance.now() - t;
    if (found !== sample.length) throw new Error(`${db.name}: ${sample.length - found} keys missing`);
    out.push({
      engine: db.name,
      blockWritesPerSec: (blocks * 1000) / writeMs,
      putsPerSec: (blocks * perBlock * 1000) / writeMs,
      readsPerSec: (sample.length * 1000) / readMs,
    });
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
