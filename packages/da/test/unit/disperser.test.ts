import { fastAggregateVerify, PublicKey, Signature } from "@chainsafe/blst";
import { bytesToHex, createSilentLogger, JsonRpcServer, keccak256, MemoryStore } from "@zerog/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  blobSignMessage,
  CellStore,
  type CommitRootSubmission,
  type DASignerKey,
  DaErrorCode,
  Disperser,
  type DisperserChain,
  DisperserClient,
  daSignerKeyFromSeed,
  encodeBlob,
  type ReceiptInfo,
  registerDisperserRoutes,
  registerSignerRoutes,
  type SignedTx,
} from "../../src/index.js";

// Four real signer servers (32 slots each) and a fake chain that checks what DAEntrance checks.
const addresses = [1, 2, 3, 4].map((i) => `0x${i.toString(16).padStart(40, "0")}`);
const quorum = Array.from({ length: 128 }, (_, s) => addresses[s % 4]!);
const keys: DASignerKey[] = addresses.map((_, i) => daSignerKeyFromSeed(new Uint8Array(32).fill(i + 11)));
const servers: JsonRpcServer[] = [];
const encoder = { encode: async (d: Uint8Array) => encodeBlob(d) };

class FakeChain implements DisperserChain {
  block = 10;
  nonce = 0;
  readonly mined = new Map<string, ReceiptInfo>();
  readonly uploads: string[] = [];
  readonly verified = new Map<string, number>();
  readonly txs: { kind: "upload" | "confirm"; roots: string[] }[] = [];
  readonly signed = new Map<string, { kind: "upload" | "confirm"; roots: Uint8Array[]; submissions?: readonly CommitRootSubmission[] }>();
  down = new Set<string>();
  crashOnSend: ((tx: SignedTx) => boolean) | undefined;

  private sign(kind: "upload" | "confirm", roots: Uint8Array[], submissions?: readonly CommitRootSubmission[]): SignedTx {
    const raw =
      `0x${kind === "upload" ? "01" : "02"}${roots.map((r) => bytesToHex(r).slice(2)).join("")}${(this.nonce++).toString(16).padStart(8, "0")}` as const;
    const hash = bytesToHex(keccak256(Buffer.from(raw.slice(2), "hex")));
    this.signed.set(hash, { kind, roots, ...(submissions ? { submissions } : {}) });
    return { raw, hash };
  }
  signUpload = async (roots: readonly Uint8Array[]) => this.sign("upload", [...roots]);
  signConfirm = async (subs: readonly CommitRootSubmission[]) =>
    this.sign(
      "confirm",
      subs.map((s) => s.dataRoot),
      subs,
    );
  async send(tx: SignedTx): Promise<void> {
    if (this.crashOnSend?.(tx)) throw new Error("killed");
    if (this.mined.has(tx.hash)) return; // already known: not an error
    const t = this.signed.get(tx.hash)!;
    this.block++;
    const roots = t.roots.map((r) => bytesToHex(r));
    this.txs.push({ kind: t.kind, roots });
    if (t.kind === "upload") {
      this.uploads.push(...roots);
      this.mined.set(tx.hash, {
        ok: true,
        blockNumber: this.block,
        dataUploads: t.roots.map((dataRoot) => ({ dataRoot, epoch: 1, quorumId: 0 })),
        verified: [],
      });
    } else {
      // Like the contract: any bad submission reverts the whole call.
      const bad = t.submissions!.map((s) => this.checkSubmission(s)).find((x) => x !== true);
      if (bad === undefined) for (const r of roots) this.verified.set(r, (this.verified.get(r) ?? 0) + 1);
      this.mined.set(tx.hash, {
        ok: bad === undefined,
        blockNumber: this.block,
        dataUploads: [],
        verified: bad === undefined ? t.roots : [],
        ...(bad === undefined ? {} : { revert: bad }),
      });
    }
  }
  /** DAEntrance's rules: DataUpload seen, 3·hit ≥ 2·total, the aggregate verifies under the bitmap's signers. */
  private checkSubmission(s: CommitRootSubmission): true | string {
    if (!this.uploads.includes(bytesToHex(s.dataRoot))) return "UnknownDataRoot";
    const owners = new Set(quorum.filter((_, slot) => (s.bitmap[slot >> 3]! >> (slot & 7)) & 1));
    const hit = quorum.filter((o) => owners.has(o)).length;
    if (3 * hit < 2 * 128) return "NotEnoughSignedSlots";
    const pks = addresses.flatMap((a, i) => (owners.has(a) ? [PublicKey.fromBytes(keys[i]!.publicKey)] : []));
    const message = blobSignMessage(s);
    return fastAggregateVerify(message, pks, Signature.fromBytes(s.signature, true)) ? true : "BadSignature";
  }
  async receipt(hash: `0x${string}`): Promise<ReceiptInfo | null> {
    return this.mined.get(hash) ?? null;
  }
  quorum = async () => quorum;
  signers = async (as: readonly string[]) =>
    as.map((address) => {
      const i = addresses.indexOf(address);
      return { address, url: this.down.has(address) ? "http://127.0.0.1:1" : servers[i]!.url, publicKey: keys[i]!.publicKey };
    });
  finalizedBlock = async () => this.block;
}

let chain: FakeChain;

beforeAll(async () => {
  chain = new FakeChain();
  for (const [i, address] of addresses.entries()) {
    const server = new JsonRpcServer({ host: "127.0.0.1", port: 0 }, { logger: createSilentLogger(), metrics: null });
    registerSignerRoutes(server, {
      store: new CellStore(new MemoryStore()),
      chain: {
        quorum: async (e, q) => (e === 1 && q === 0 ? quorum : null),
        dataUploaded: async (root) => chain.uploads.includes(bytesToHex(root)),
      },
      key: keys[i]!,
      address,
      logger: createSilentLogger(),
    });
    await server.start();
    servers.push(server);
  }
}, 60_000);

afterAll(() => Promise.all(servers.map((s) => s.stop())));

const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed + (i >> 7)) & 0xff);
const opts = { pollMs: 5, signRetryMs: 10 };

describe("Disperser", () => {
  it("takes blobs to CONFIRMED then FINALIZED, one upload and one verification each, and retrieves them", async () => {
    const d = new Disperser(opts, { db: new MemoryStore(), chain, encoder, logger: createSilentLogger() });
    d.start();
    try {
      const blobs = [bytes(1, 3), bytes(140_000, 5)];
      const ids = await Promise.all(blobs.map((b) => d.disperse(b)));
      expect(ids.map((x) => x.status)).toEqual(["PROCESSING", "PROCESSING"]);
      await vi.waitFor(() => expect(ids.map((x) => d.status(x.id).status)).toEqual(["FINALIZED", "FINALIZED"]), { timeout: 20_000 });
      for (const [k, { id }] of ids.entries()) {
        const rec = d.status(id).record!;
        expect(rec).toMatchObject({ epoch: 1, quorumId: 0, signedSlots: 128 });
        expect(chain.uploads.filter((r) => r === rec.dataRoot).length).toBe(1);
        expect(chain.verified.get(rec.dataRoot!)).toBe(1);
        expect(Buffer.from(await d.retrieve(id)).equals(Buffer.from(blobs[k]!))).toBe(true);
      }
    } finally {
      await d.stop();
    }
  }, 30_000);

  it("batches queued blobs: one submitOriginalData and one submitVerifiedCommitRoots for several", async () => {
    const d = new Disperser({ ...opts, maxBatchBlobs: 4 }, { db: new MemoryStore(), chain, encoder, logger: createSilentLogger() });
    const queued = await Promise.all([1, 2, 3, 4, 5, 6].map((k) => d.disperse(bytes(3000 + k, 20 + k))));
    const before = chain.txs.length;
    d.start();
    try {
      await vi.waitFor(() => expect(queued.map((q) => d.status(q.id).status)).toEqual(Array(6).fill("FINALIZED")), { timeout: 20_000 });
      const txs = chain.txs.slice(before);
      // 4 + 2 blobs: two uploads and two confirmations, every blob in exactly one of each.
      expect(txs.map((t) => [t.kind, t.roots.length])).toEqual([
        ["upload", 4],
        ["confirm", 4],
        ["upload", 2],
        ["confirm", 2],
      ]);
      for (const q of queued) expect(chain.verified.get(d.status(q.id).record!.dataRoot!)).toBe(1);
    } finally {
      await d.stop();
    }
  }, 30_000);

  it("killed after storing a signed transaction, a restarted disperser sends the same one: confirmed exactly once", async () => {
    const db = new MemoryStore();
    for (const crashAt of ["upload", "confirm"] as const) {
      let crashed = false;
      chain.crashOnSend = (tx) => {
        if (crashed || chain.signed.get(tx.hash)?.kind !== crashAt) return false;
        crashed = true;
        // The transaction reached the chain, then the process died before it learned so.
        chain.crashOnSend = undefined;
        void chain.send(tx);
        chain.crashOnSend = () => true;
        return true;
      };
      const a = new Disperser(opts, { db, chain, encoder, logger: createSilentLogger() });
      a.start();
      const { id } = await a.disperse(bytes(5000, crashAt === "upload" ? 7 : 9));
      await vi.waitFor(() => expect(crashed).toBe(true), { timeout: 20_000 });
      await a.stop();
      chain.crashOnSend = undefined;
      expect(a.status(id).status).toBe("PROCESSING");
      const b = new Disperser(opts, { db, chain, encoder, logger: createSilentLogger() });
      b.start();
      await vi.waitFor(() => expect(b.status(id).status).toBe("FINALIZED"), { timeout: 20_000 });
      const root = b.status(id).record!.dataRoot!;
      expect(chain.uploads.filter((r) => r === root).length).toBe(1);
      expect(chain.verified.get(root)).toBe(1);
      await b.stop();
    }
  }, 60_000);

  it("serves DisperseBlob, GetBlobStatus and RetrieveBlob over HTTP", async () => {
    const d = new Disperser(opts, { db: new MemoryStore(), chain, encoder, logger: createSilentLogger() });
    const server = new JsonRpcServer({ host: "127.0.0.1", port: 0 }, { logger: createSilentLogger(), metrics: null });
    registerDisperserRoutes(server, d);
    await server.start();
    d.start();
    try {
      const client = new DisperserClient(server.url);
      const data = bytes(70_000, 13);
      const { requestId, status } = await client.disperseBlob(data);
      expect(status).toBe("PROCESSING");
      await vi.waitFor(async () => expect((await client.getBlobStatus(requestId)).status).toBe("FINALIZED"), { timeout: 20_000 });
      const reply = await client.getBlobStatus(requestId);
      expect(reply.info).toMatchObject({ epoch: 1, quorumId: 0, signedSlots: 128 });
      expect(reply.info!.dataRoot).toMatch(/^0x[0-9a-f]{64}$/);
      expect(Buffer.from(await client.retrieveBlob(requestId)).equals(Buffer.from(data))).toBe(true);
      expect(await client.getBlobStatus("unknown-id")).toEqual({ status: "NOT_FOUND" });
      await expect(client.disperseBlob(new Uint8Array(0))).rejects.toThrow(/1 to 16777216 bytes/);
      await expect(client.retrieveBlob("unknown-id")).rejects.toThrow(/no blob has the id/);
    } finally {
      await d.stop();
      await server.stop();
    }
  }, 30_000);

  it("fails a blob whose quorum cannot sign 2/3 of its slots, saying why; refuses bad input; unknown ids are NOT_FOUND", async () => {
    chain.down = new Set(addresses.slice(0, 2));
    const d = new Disperser(
      { ...opts, maxSignAttempts: 2, maxQueuedBytes: 1 << 20 },
      { db: new MemoryStore(), chain, encoder, logger: createSilentLogger() },
    );
    d.start();
    try {
      const { id } = await d.disperse(bytes(100, 1));
      await vi.waitFor(() => expect(d.status(id).status).toBe("FAILED"), { timeout: 20_000 });
      expect(d.status(id).record!.error).toMatch(/only 64 of 128 slots signed \(86 needed\)/);
      expect(d.status("nope").status).toBe("NOT_FOUND");
      await expect(d.disperse(new Uint8Array(0))).rejects.toMatchObject({ type: { code: DaErrorCode.BLOB_SIZE } });
      await expect(d.disperse(new Uint8Array(17 << 20))).rejects.toMatchObject({ type: { code: DaErrorCode.BLOB_SIZE } });
      await d.disperse(bytes(900_000, 2));
      await expect(d.disperse(bytes(200_000, 3))).rejects.toMatchObject({ type: { code: DaErrorCode.BUSY } });
      await expect(d.retrieve("nope")).rejects.toMatchObject({ type: { code: DaErrorCode.NOT_FOUND } });
    } finally {
      chain.down = new Set();
      await d.stop();
    }
  }, 30_000);
});
