import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isZgError } from "@zerog/core";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ConsensusErrorCode } from "../../src/consensus/errors.js";
import { ConsensusWAL, encodeRecord, type WALRecord, WALRecordKind } from "../../src/consensus/wal.js";

const dir = mkdtempSync(join(tmpdir(), "zg-wal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `wal-${n++}`);
const rec = (kind: number, ...bytes: number[]): WALRecord => ({ kind, payload: Uint8Array.from(bytes) });

/** A fresh WAL at height 1 (anchored by END(0), 17 bytes) holding `records`. */
function write(path: string, records: WALRecord[]): void {
  const wal = ConsensusWAL.open(path);
  expect(wal.replay(1n)).toEqual([]);
  for (const r of records) wal.append(r.kind, r.payload);
  wal.close();
}

function walCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isZgError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe("ConsensusWAL", () => {
  it("replays the records of the height after the last END, and nothing else", () => {
    const path = freshPath();
    const wal = ConsensusWAL.open(path);
    expect(wal.lastEndHeight).toBeNull();
    expect(walCode(() => wal.append(WALRecordKind.Vote, Uint8Array.of(1)))).toBe(ConsensusErrorCode.WAL_MISUSE); // not anchored
    expect(wal.replay(1n)).toEqual([]); // a fresh log: anchored at END(0)
    expect(walCode(() => wal.replay(1n))).toBe(ConsensusErrorCode.WAL_MISUSE); // once per open
    wal.append(WALRecordKind.Proposal, Uint8Array.of(1));
    wal.append(WALRecordKind.Vote, Uint8Array.of(2));
    wal.close();
    const reopened = ConsensusWAL.open(path);
    expect(reopened.lastEndHeight).toBe(0n);
    expect(reopened.replay(1n)).toEqual([rec(1, 1), rec(2, 2)]);
    reopened.writeEndHeight(1n);
    reopened.append(WALRecordKind.Vote, Uint8Array.of(3));
    reopened.append(WALRecordKind.Timeout, new Uint8Array(0));
    reopened.close();
    const at = (h: bigint) => {
      const w = ConsensusWAL.open(path);
      const r = w.replay(h);
      w.close();
      return r;
    };
    expect(at(2n)).toEqual([rec(2, 3), rec(4)]);
    expect(at(2n)).toEqual([rec(2, 3), rec(4)]); // replay alone changes nothing
    expect(at(3n)).toEqual([]); // block 2 committed, END(2) never written: nothing to redo, log reset to END(2)
    expect(statSync(path).size).toBe(17);
    expect(at(1n)).toEqual([]); // the log is ahead of the caller: reset too
    expect(ConsensusWAL.open(path).lastEndHeight).toBe(0n);
  });

  it("a log emptied by a crash during writeEndHeight is re-anchored by replay", () => {
    const path = freshPath();
    write(path, [rec(2, 1)]);
    truncateSync(path, 0);
    const wal = ConsensusWAL.open(path);
    expect(wal.replay(8n)).toEqual([]);
    wal.append(WALRecordKind.Vote, Uint8Array.of(8));
    wal.close();
    const again = ConsensusWAL.open(path);
    expect(again.lastEndHeight).toBe(7n);
    expect(again.replay(8n)).toEqual([rec(2, 8)]);
    again.close();
  });

  it("writeEndHeight truncates the file to one record and is durable on its own", () => {
    const path = freshPath();
    const wal = ConsensusWAL.open(path);
    wal.replay(1n);
    for (let i = 0; i < 100; i++) wal.append(WALRecordKind.Vote, new Uint8Array(200));
    wal.flush();
    expect(statSync(path).size).toBeGreaterThan(20_000);
    wal.append(WALRecordKind.Vote, Uint8Array.of(9)); // buffered, dropped: it belonged to the completed height
    wal.writeEndHeight(41n);
    expect(statSync(path).size).toBe(17);
    const again = ConsensusWAL.open(path); // the first handle never closed: a crash
    expect(again.lastEndHeight).toBe(41n);
    expect(again.replay(42n)).toEqual([]);
    again.close();
    wal.close();
    expect(ConsensusWAL.open(path).replay(42n)).toEqual([]);
  });

  it("append is buffered until flush; flush without news does not fsync again", () => {
    const path = freshPath();
    const wal = ConsensusWAL.open(path);
    wal.replay(1n);
    wal.append(WALRecordKind.Vote, Uint8Array.of(1));
    expect(statSync(path).size).toBe(17);
    wal.flush();
    expect(statSync(path).size).toBe(27);
    wal.flush();
    wal.close();
    expect(walCode(() => wal.append(WALRecordKind.Vote, Uint8Array.of(1)))).toBe(ConsensusErrorCode.WAL_MISUSE);
  });

  it("refuses reserved and out-of-range kinds", () => {
    const wal = ConsensusWAL.open(freshPath());
    expect(walCode(() => wal.replay(0n))).toBe(ConsensusErrorCode.WAL_MISUSE);
    wal.replay(1n);
    for (const k of [0, WALRecordKind.EndHeight, 256, 1.5]) {
      expect(walCode(() => wal.append(k, new Uint8Array(1)))).toBe(ConsensusErrorCode.WAL_MISUSE);
    }
    expect(walCode(() => wal.writeEndHeight(-1n))).toBe(ConsensusErrorCode.WAL_MISUSE);
    wal.close();
  });

  it("a file cut at any byte replays a prefix of what was written, and the cut tail is removed", () => {
    const recordArb = fc.record({ kind: fc.integer({ min: 1, max: 254 }), payload: fc.uint8Array({ maxLength: 64 }) });
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 12 }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.nat(),
        (records, end, cut) => {
          const path = freshPath();
          const wal = ConsensusWAL.open(path);
          wal.writeEndHeight(end);
          for (const r of records) wal.append(r.kind, r.payload);
          wal.close();
          const size = statSync(path).size;
          const at = cut % (size + 1);
          truncateSync(path, at);
          const reopened = ConsensusWAL.open(path);
          const got = reopened.replay(end + 1n);
          reopened.close();
          if (at < 17) {
            expect(got).toEqual([]); // END itself torn: an empty WAL
          } else {
            expect(got).toEqual(records.slice(0, got.length));
            const whole = records.reduce((s, r, i) => (i < got.length ? s + 9 + r.payload.length : s), 17);
            expect(statSync(path).size).toBe(whole);
            if (at === size) expect(got.length).toBe(records.length);
          }
          rmSync(path);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it("a torn tail is cut with a warning, and appends continue after it", () => {
    const path = freshPath();
    write(path, [rec(1, 1, 2, 3), rec(2, 4)]);
    appendFileSync(path, encodeRecord(2, new Uint8Array(50)).subarray(0, 30));
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (s: string) => lines.push(s) });
    const wal = ConsensusWAL.open(path, { logger });
    expect(lines.join("")).toMatch(/torn tail/);
    expect(wal.replay(1n)).toEqual([rec(1, 1, 2, 3), rec(2, 4)]);
    wal.append(3, Uint8Array.of(7));
    wal.close();
    expect(ConsensusWAL.open(path).replay(1n)).toEqual([rec(1, 1, 2, 3), rec(2, 4), rec(3, 7)]);
  });

  it("a zero-filled tail (extended, never written) is torn, not corrupt", () => {
    const path = freshPath();
    write(path, [rec(1, 1)]);
    appendFileSync(path, new Uint8Array(4096));
    expect(ConsensusWAL.open(path).replay(1n)).toEqual([rec(1, 1)]);
    expect(statSync(path).size).toBe(27);
  });

  it("a checksum failure on the last record is a torn write", () => {
    const path = freshPath();
    write(path, [rec(1, 1), rec(2, 2, 2)]);
    const b = readFileSync(path);
    b[b.length - 1]! ^= 0xff;
    writeFileSync(path, b);
    expect(ConsensusWAL.open(path).replay(1n)).toEqual([rec(1, 1)]);
  });

  it("damage before an intact record is corruption: a coded error, the file untouched", () => {
    const records = Array.from({ length: 6 }, (_, i) => rec(2, i, i, i, i));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 17 + 5 * 13 - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const path = freshPath();
        write(path, records);
        const b = readFileSync(path);
        b[at]! ^= flip; // inside END(0) or one of the first five records: the sixth stays intact
        writeFileSync(path, b);
        let err: unknown;
        try {
          ConsensusWAL.open(path).close();
        } catch (e) {
          err = e;
        }
        expect(isZgError(err) && err.code).toBe(ConsensusErrorCode.WAL_CORRUPT);
        expect(readFileSync(path)).toEqual(b);
        rmSync(path);
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it("END markers bound replay across crashes mid-height", () => {
    const path = freshPath();
    let wal = ConsensusWAL.open(path);
    wal.replay(1n);
    for (let h = 1n; h <= 5n; h++) {
      wal.append(WALRecordKind.Proposal, Uint8Array.of(Number(h)));
      wal.flush();
      if (h === 3n) {
        wal = ConsensusWAL.open(path); // crash and restart mid-height 3
        expect(wal.replay(3n)).toEqual([rec(1, 3)]);
      }
      wal.writeEndHeight(h);
    }
    wal.append(WALRecordKind.Vote, Uint8Array.of(6));
    wal.flush();
    const restarted = ConsensusWAL.open(path);
    expect(restarted.replay(6n)).toEqual([rec(2, 6)]);
    restarted.close();
  });
});
