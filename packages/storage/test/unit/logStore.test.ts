import { MemoryStore } from "@zerog/core";
import { verifySegmentProof } from "@zerog/core/merkle";
import { afterEach, describe, expect, it } from "vitest";
import { StorageError, StorageErrorCode, UploadErrorText } from "../../src/errors.js";
import { FakeFlow, makeFile, makeStore, type StoreFixture } from "../fixtures.js";

let fx: StoreFixture | null = null;
afterEach(() => {
  fx?.cleanup();
  fx = null;
});

async function rejection(p: Promise<unknown>): Promise<StorageError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StorageError) return e;
    throw e;
  }
  throw new Error("expected a StorageError");
}

describe("LogStore uploads", () => {
  it("stores, finalizes and serves a multi-segment file with proofs", async () => {
    fx = makeStore();
    const flow = new FakeFlow();
    const file = makeFile(3 * 262_144 + 1000);
    const tx = flow.submit(file);
    await fx.store.putTx(tx);
    expect(fx.store.isFinalized(0)).toBe(false);
    for (const s of file.segments) await fx.store.putSegment(s, tx);
    expect(fx.store.isFinalized(0)).toBe(true);
    for (const s of file.segments) {
      const got = fx.store.readSegment(tx, s.index)!;
      expect(got.data).toEqual(s.data);
      expect(() =>
        verifySegmentProof({
          root: file.root,
          segmentRoot: file.digest.segmentRoots[s.index]!,
          index: s.index,
          fileSize: tx.size,
          proof: got.proof,
        }),
      ).not.toThrow();
    }
    expect(fx.store.readChunks(tx, 1024, 2048)).toEqual(file.data.subarray(262_144, 2 * 262_144));
    const info = fx.store.fileInfo(tx) as { finalized: boolean; uploadedSegNum: number };
    expect(info).toMatchObject({ finalized: true, uploadedSegNum: 4, isCached: false, pruned: false });
  });

  it("rejects bad uploads with 0G's params and texts, in 0G's order", async () => {
    fx = makeStore();
    const flow = new FakeFlow();
    const file = makeFile(2 * 262_144 + 300);
    const tx = flow.submit(file);
    await fx.store.putTx(tx);
    const [s0, s1, s2] = file.segments as [(typeof file.segments)[0], (typeof file.segments)[0], (typeof file.segments)[0]];
    const expectErr = async (p: Promise<unknown>, code: StorageErrorCode, text: string, param?: string) => {
      const e = await rejection(p);
      expect(e.code).toBe(code);
      expect(e.message).toBe(text);
      if (param) expect((e.type as { param: string }).param).toBe(param);
    };
    await expectErr(fx.store.putSegment({ ...s0, data: new Uint8Array(0) }, tx), StorageErrorCode.CALL_FAILED, UploadErrorText.DATA_EMPTY);
    await expectErr(
      fx.store.putSegment({ ...s0, data: s0.data.subarray(0, 1000) }, tx),
      StorageErrorCode.CALL_FAILED,
      "invalid data length",
    );
    const other = makeFile(1000, 7);
    await expectErr(fx.store.putSegment({ ...s0, root: other.root }, tx), StorageErrorCode.INTERNAL, "data root and tx seq not match");
    await expectErr(
      fx.store.putSegment({ ...s0, fileSize: s0.fileSize + 1 }, tx),
      StorageErrorCode.INVALID_PARAMS,
      "segment file size not matched with tx file size",
      "file_size",
    );
    await expectErr(fx.store.putSegment({ ...s2, index: 3 }, tx), StorageErrorCode.INVALID_PARAMS, "index out of bound", "index");
    await expectErr(fx.store.putSegment({ ...s2, data: s1.data }, tx), StorageErrorCode.INVALID_PARAMS, "invalid data length", "data");
    const flipped = s1.data.slice();
    flipped[5]! ^= 1;
    await expectErr(fx.store.putSegment({ ...s1, data: flipped }, tx), StorageErrorCode.INVALID_PARAMS, "validation failed", "proof");
    await expectErr(fx.store.putSegment({ ...s1, index: 0 }, tx), StorageErrorCode.INVALID_PARAMS, "validation failed", "proof");
    await expectErr(
      fx.store.putSegment({ ...s1, proof: { lemma: s1.proof.lemma.slice(1), path: s1.proof.path } }, tx),
      StorageErrorCode.INVALID_PARAMS,
      "invalid proof",
      "proof",
    );
    await fx.store.putSegment(s0, tx);
    await expectErr(fx.store.putSegment(s0, tx), StorageErrorCode.CALL_FAILED, UploadErrorText.DUPLICATE);
    await fx.store.putSegment(s1, tx);
    await fx.store.putSegment(s2, tx);
    await expectErr(fx.store.putSegment(s2, tx), StorageErrorCode.INVALID_PARAMS, "already uploaded and finalized", "root");
  });

  it("caches segments of a small file until its Submit log arrives; refuses large ones", async () => {
    fx = makeStore();
    const flow = new FakeFlow();
    const file = makeFile(300_000);
    for (const s of file.segments) await fx.store.putSegment(s, undefined);
    expect(fx.store.cache.count(file.root)).toBe(2);
    await fx.store.putTx(flow.submit(file));
    expect(fx.store.isFinalized(0)).toBe(true);
    const big = makeFile(262_144, 3);
    const e = await rejection(fx.store.putSegment({ ...big.segments[0]!, fileSize: 11 * 1024 * 1024 }, undefined));
    expect(e.message).toBe("caching of large file when tx is unavailable is not supported");
  });

  it("finalizes a duplicate root without a re-upload, with the data at the new position", async () => {
    fx = makeStore();
    const flow = new FakeFlow();
    const file = makeFile(600_000, 5);
    const tx0 = flow.submit(file);
    await fx.store.putTx(tx0);
    for (const s of file.segments) await fx.store.putSegment(s, tx0);
    const tx1 = flow.submit(file);
    await fx.store.putTx(tx1);
    expect(fx.store.isFinalized(1)).toBe(true);
    expect(tx1.startEntryIndex).not.toBe(tx0.startEntryIndex);
    expect(fx.store.readSegment(tx1, 2)!.data).toEqual(file.segments[2]!.data);
    expect(fx.store.txByRoot(file.root, false)!.seq).toBe(0);
  });

  it("keeps only its shard's segments and finalizes when they are written", async () => {
    fx = makeStore({ shard: { shardId: 1, numShard: 2 } });
    const flow = new FakeFlow();
    const file = makeFile(4 * 262_144);
    const tx = flow.submit(file);
    await fx.store.putTx(tx);
    const first = tx.startEntryIndex / 1024;
    const mine = file.segments.filter((s) => (first + s.index) % 2 === 1);
    expect(mine).toHaveLength(2);
    expect(fx.store.missingSegments(0)).toEqual(mine.map((s) => s.index));
    for (const s of mine) await fx.store.putSegment(s, tx);
    expect(fx.store.isFinalized(0)).toBe(true);
    const notMine = file.segments.find((s) => (first + s.index) % 2 === 0)!;
    expect(fx.store.readSegment(tx, notMine.index)).toBeUndefined();
  });

  it("keeps written segments across a restart and completes the upload", async () => {
    fx = makeStore({}, new MemoryStore());
    const flow = new FakeFlow();
    const file = makeFile(5 * 262_144);
    const tx = flow.submit(file);
    await fx.store.putTx(tx);
    for (const s of file.segments.slice(0, 3)) await fx.store.putSegment(s, tx);
    const store = fx.reopen();
    expect(store.nextTxSeq).toBe(1);
    expect(store.missingSegments(0)).toEqual([3, 4]);
    await expect(store.putSegment(file.segments[1]!, tx)).rejects.toThrow(UploadErrorText.DUPLICATE);
    for (const s of file.segments.slice(3)) await store.putSegment(s, tx);
    expect(store.isFinalized(0)).toBe(true);
    expect(store.readSegment(tx, 0)!.data).toEqual(file.segments[0]!.data);
  });

  it("reverts txs and rebuilds the flow after a reorg", async () => {
    fx = makeStore();
    const flow = new FakeFlow();
    const a = makeFile(1000, 1);
    const b = makeFile(2000, 2);
    await fx.store.putTx(flow.submit(a));
    const rootAfterA = fx.store.flowRoot;
    await fx.store.putTx(flow.submit(b));
    await fx.store.revertFrom(1);
    expect(fx.store.nextTxSeq).toBe(1);
    expect(fx.store.flowRoot).toEqual(rootAfterA);
    expect(fx.store.txByRoot(b.root, false)).toBeUndefined();
  });
});
