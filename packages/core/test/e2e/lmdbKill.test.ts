/**
 * A process killed while LMDBStore batches are being written: after reopening, every batch is either
 * wholly present or wholly absent, and batches are present in the order they were issued (a prefix).
 * The writer is a real child process (the built package) SIGKILLed at a random moment.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LMDBStore } from "../../src/index.js";

const DIST = resolve(__dirname, "../../dist/index.js");
const PER_BATCH = 20_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Batch i puts PER_BATCH pseudo-random keys tagged with i, plus a marker row; it runs until killed. */
const WRITER = `
import { LMDBStore } from ${JSON.stringify(DIST)};
const store = new LMDBStore({ path: process.argv[1] });
let seed = 12345;
const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed; };
for (let i = 0; ; i++) {
  const ops = [];
  for (let j = 0; j < ${PER_BATCH}; j++) {
    const key = new Uint8Array(13);
    const v = new DataView(key.buffer);
    key[0] = 0x40; v.setUint32(1, rnd()); v.setUint32(5, rnd()); v.setUint32(9, i);
    ops.push({ type: "put", key, value: new Uint8Array(64).fill(i & 0xff) });
  }
  const marker = new Uint8Array(5); marker[0] = 0x41; new DataView(marker.buffer).setUint32(1, i);
  ops.push({ type: "put", key: marker, value: new Uint8Array([1]) });
  const done = store.batch(ops);
  if (i === 2) process.stdout.write("writing\\n");
  await done;
}
`;

async function killWhileWriting(dir: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", WRITER, dir], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((res, rej) => {
    child.stdout.once("data", () => res());
    child.once("exit", (code) => rej(new Error(`writer exited early with ${code}`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("LMDBStore under SIGKILL", () => {
  it("keeps every batch whole and in order", async () => {
    for (const delay of [37, 211, 463]) {
      const dir = mkdtempSync(join(tmpdir(), "zg-lmdb-kill-"));
      dirs.push(dir);
      await killWhileWriting(dir, delay);
      const store = new LMDBStore({ path: dir });
      try {
        const perBatch = new Map<number, number>();
        for (const { key } of store.range({ gte: Uint8Array.of(0x40), lt: Uint8Array.of(0x41) })) {
          const i = new DataView(key.buffer, key.byteOffset).getUint32(9);
          perBatch.set(i, (perBatch.get(i) ?? 0) + 1);
        }
        const markers = [...store.range({ gte: Uint8Array.of(0x41), lt: Uint8Array.of(0x42) })].map((e) =>
          new DataView(e.key.buffer, e.key.byteOffset).getUint32(1),
        );
        // At least the batches before the "writing" line were durable; the rest form a prefix.
        expect(markers.length).toBeGreaterThanOrEqual(2);
        expect(markers).toEqual(markers.map((_, i) => i));
        expect([...perBatch.keys()].sort((a, b) => a - b)).toEqual(markers);
        for (const n of perBatch.values()) expect(n).toBe(PER_BATCH);
      } finally {
        await store.close();
      }
    }
  });
});
