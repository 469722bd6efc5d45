import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSilentLogger, type Hex, type KVStore, MemoryStore } from "@zerog/core";
import { FlowTree, hashFile } from "@zerog/core/merkle";
import { xorshiftBytes as fileBytes } from "../../core/test/utils/xorshiftBytes.js";
import { FlowDataStore } from "../src/flow/flowDataStore.js";
import { defaultLogStoreOptions, LogStore, type LogStoreOptions } from "../src/flow/logStore.js";
import { MetaStore } from "../src/flow/metaStore.js";
import type { SegmentWithProof } from "../src/flow/segment.js";
import type { Transaction } from "../src/flow/transaction.js";
import { SEGMENT_BYTES } from "../src/params.js";

export { fileBytes };

export interface TestFile {
  data: Uint8Array;
  root: Uint8Array;
  digest: ReturnType<typeof hashFile>;
  segments: SegmentWithProof[];
}

export function makeFile(size: number, seed = 1): TestFile {
  const data = fileBytes(size, seed);
  const digest = hashFile(data);
  const segments: SegmentWithProof[] = [];
  for (let j = 0; j * SEGMENT_BYTES < size; j++) {
    const part = data.subarray(j * SEGMENT_BYTES, Math.min(size, (j + 1) * SEGMENT_BYTES));
    const padded = new Uint8Array(Math.ceil(part.length / 256) * 256);
    padded.set(part);
    segments.push({ root: digest.root, data: padded, index: j, proof: digest.tree.proofAt(j), fileSize: size });
  }
  return { data, root: digest.root, digest, segments };
}

/** Places files on a local flow the way the Flow contract does and returns their txs. */
export class FakeFlow {
  private readonly flow = new FlowTree();
  private seq = 0;

  submit(file: TestFile, block = 1): Transaction {
    const { startPos } = this.flow.appendSubmission(file.digest.nodes);
    return {
      seq: this.seq++,
      startEntryIndex: startPos,
      size: file.data.length,
      merkleNodes: file.digest.nodes.map((n) => ({ depth: n.height + 1, root: n.root })),
      dataMerkleRoot: file.root,
      blockNumber: block,
      blockHash: `0x${block.toString(16).padStart(64, "0")}` as Hex,
    };
  }
}

export interface StoreFixture {
  store: LogStore;
  db: KVStore;
  dir: string;
  reopen(opts?: Partial<LogStoreOptions>): LogStore;
  cleanup(): void;
}

export function makeStore(opts: Partial<LogStoreOptions> = {}, db: KVStore = new MemoryStore()): StoreFixture {
  const dir = mkdtempSync(join(tmpdir(), "zg-storage-unit-"));
  let data = new FlowDataStore(join(dir, "flow"));
  const build = (o: Partial<LogStoreOptions>) =>
    new LogStore({ ...defaultLogStoreOptions, ...o }, { meta: new MetaStore(db), data, logger: createSilentLogger(), metrics: null });
  const fx: StoreFixture = {
    store: build(opts),
    db,
    dir,
    reopen(o = opts) {
      data.close();
      data = new FlowDataStore(join(dir, "flow"));
      fx.store = build(o);
      return fx.store;
    },
    cleanup() {
      data.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}
