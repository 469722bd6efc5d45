import { createHash } from "node:crypto";
import { bytesToHex, hexToBytes, type KVStore, type Logger, tableKey } from "@zerog/core";
import { aggregateQuorumSignatures } from "../client/aggregate.js";
import { retrieveBlob } from "../client/retrieveBlob.js";
import { SignerClient } from "../client/signerClient.js";
import type { EncodedBlob } from "../encoder/encodeBlob.js";
import { checkBlobSize } from "../encoder/layout.js";
import { DaError, DaErrorCode } from "../errors.js";
import { slotsOf } from "../signer/checkSignRequest.js";
import { blobSignMessage, commitmentsHashOf } from "../signer/message.js";
import { type BlobRecord, type BlobStatus, statusOf } from "./blobRecord.js";
import type { CommitRootSubmission, DisperserChain, ReceiptInfo } from "./disperserChain.js";

export interface DisperserOptions {
  /** Signature rounds for a blob before it fails (0G's `max-num-retries-for-sign`). */
  maxSignAttempts: number;
  /** How often receipts and finality are polled. */
  pollMs: number;
  /** Pause between signature rounds. */
  signRetryMs: number;
  /** Bytes of blobs waiting to be dispersed; more are refused (BUSY) until some are done. */
  maxQueuedBytes: number;
  /** Blobs behind the batch on chain that are encoded meanwhile, so encoding overlaps the chain's round trips. */
  encodeAhead: number;
  /** Blobs per on-chain batch (one `submitOriginalData`, one `submitVerifiedCommitRoots`), as 0G's batcher does. */
  maxBatchBlobs: number;
  /** Bytes of blobs per batch. */
  maxBatchBytes: number;
}

export const defaultDisperserOptions: DisperserOptions = {
  maxSignAttempts: 3,
  pollMs: 50,
  signRetryMs: 2_000,
  maxQueuedBytes: 256 << 20,
  encodeAhead: 8,
  maxBatchBlobs: 8,
  maxBatchBytes: 32 << 20,
};

export interface DisperserDeps {
  db: KVStore;
  chain: DisperserChain;
  /** `EncoderPool` (or anything with its `encode`). */
  encoder: { encode(data: Uint8Array): Promise<EncodedBlob> };
  logger: Logger;
  /** How signers are reached (default: a `SignerClient` per registered URL). */
  signerClient?: (url: string) => SignerClient;
}

const T = { RECORD: 0x01, DATA: 0x02, SEQ: 0x03 } as const;
const utf8 = new TextEncoder();

/**
 * The disperser: takes blobs, and for each submits its data root (`submitOriginalData`), sends every signer of the
 * assigned quorum its columns, aggregates their signatures and submits them (`submitVerifiedCommitRoots`), then
 * waits for finality. Blobs go one at a time through the on-chain stages (one nonce sequence), in arrival order.
 * Every stage is stored before its side effect, signed transactions before they are sent, so a restart resumes where
 * the process died and sends the same transactions again: a blob is uploaded and confirmed exactly once.
 */
export class Disperser {
  private readonly options: DisperserOptions;
  private readonly log: Logger;
  private readonly records = new Map<string, BlobRecord>();
  /** Ids not yet confirmed, oldest first. */
  private readonly pending: string[] = [];
  private readonly encoded = new Map<string, Promise<EncodedBlob>>();
  private seq = 0;
  private queuedBytes = 0;
  private wake: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    options: Partial<DisperserOptions>,
    private readonly deps: DisperserDeps,
  ) {
    this.options = { ...defaultDisperserOptions, ...options };
    this.log = deps.logger;
  }

  /** Loads the queue and resumes it. */
  start(): void {
    // Blobs queued before start() are in the store too: load everything from there once.
    this.records.clear();
    this.pending.length = 0;
    this.queuedBytes = 0;
    for (const { value } of this.deps.db.range({ gte: new Uint8Array([T.RECORD]), lt: new Uint8Array([T.RECORD + 1]) })) {
      const rec = JSON.parse(new TextDecoder().decode(value)) as BlobRecord;
      this.records.set(rec.id, rec);
    }
    const seqBytes = this.deps.db.get(new Uint8Array([T.SEQ]));
    this.seq = seqBytes ? Number(new TextDecoder().decode(seqBytes)) : 0;
    const open = [...this.records.values()].filter((r) => !["confirmed", "finalized", "failed"].includes(r.stage));
    for (const r of open.sort((a, b) => a.receivedAt - b.receivedAt || a.id.localeCompare(b.id))) {
      this.pending.push(r.id);
      this.queuedBytes += r.size;
    }
    if (open.length > 0) this.log.info({ blobs: open.length }, "resuming dispersal");
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
  }

  /** Stores a blob and queues it; answers its request id at once (status PROCESSING). */
  async disperse(data: Uint8Array): Promise<{ id: string; status: BlobStatus }> {
    checkBlobSize(data.length);
    if (this.queuedBytes + data.length > this.options.maxQueuedBytes)
      throw new DaError({ code: DaErrorCode.BUSY, limit: this.options.maxQueuedBytes }, "busy: the dispersal queue is full; retry later");
    const seq = ++this.seq;
    const id = `${createHash("sha256").update(data).digest("hex")}-${seq}`;
    const rec: BlobRecord = { id, stage: "queued", size: data.length, receivedAt: Date.now(), attempts: 0 };
    await this.deps.db.batch([
      { type: "put", key: tableKey(T.DATA, utf8.encode(id)), value: data },
      { type: "put", key: tableKey(T.RECORD, utf8.encode(id)), value: utf8.encode(JSON.stringify(rec)) },
      { type: "put", key: new Uint8Array([T.SEQ]), value: utf8.encode(String(seq)) },
    ]);
    this.records.set(id, rec);
    this.pending.push(id);
    this.queuedBytes += data.length;
    this.wake?.();
    this.log.info({ id, size: data.length }, "blob queued");
    return { id, status: "PROCESSING" };
  }

  /** A blob's status and, once confirmed, where it is on chain; NOT_FOUND for an unknown id. */
  status(id: string): { status: BlobStatus; record?: BlobRecord } {
    const rec = this.records.get(id);
    return rec ? { status: statusOf(rec.stage), record: rec } : { status: "NOT_FOUND" };
  }

  /** The blob's bytes, fetched from its signers with every cell verified (not from this disperser's copy). */
  async retrieve(id: string, signal?: AbortSignal): Promise<Uint8Array> {
    const rec = this.records.get(id);
    if (!rec) throw new DaError({ code: DaErrorCode.NOT_FOUND, what: `blob ${id}` }, `no blob has the id ${id}`);
    if (rec.stage !== "confirmed" && rec.stage !== "finalized")
      throw new DaError({ code: DaErrorCode.NOT_FOUND, what: `blob ${id}` }, `blob ${id} is ${statusOf(rec.stage)}, not confirmed yet`);
    const ref = { dataRoot: hexToBytes(rec.dataRoot!), epoch: rec.epoch!, quorumId: rec.quorumId! };
    const quorum = await this.quorumOf(ref.epoch, ref.quorumId);
    const signers = await this.deps.chain.signers([...new Set(quorum)]);
    return (await retrieveBlob({ ref, signers: signers.map((s) => this.client(s.url)), ...(signal ? { signal } : {}) })).data;
  }

  private client(url: string): SignerClient {
    return this.deps.signerClient?.(url) ?? new SignerClient(url);
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.finalizeConfirmed();
        const id = this.pending[0];
        if (id === undefined) {
          await this.idle(this.options.pollMs * 5);
          continue;
        }
        const batch = this.batchAtHead();
        for (const next of this.pending.slice(batch.length, batch.length + this.options.encodeAhead)) {
          const rec = this.records.get(next)!;
          if (rec.stage === "queued") void this.encodedBlob(rec).catch(() => {});
        }
        await this.step(batch);
      } catch (e) {
        if (signal.aborted) break;
        this.log.warn({ err: e }, "dispersal step failed; retrying");
        await this.idle(this.options.pollMs * 5);
      }
    }
  }

  /**
   * The blobs at the head of the queue that move together: consecutive blobs in the head's stage — for `queued` up to
   * the batch limits, for the signed stages those sharing the head's transaction, for `uploaded` up to the limits.
   */
  private batchAtHead(): BlobRecord[] {
    const head = this.records.get(this.pending[0]!)!;
    const out: BlobRecord[] = [];
    let bytes = 0;
    for (const id of this.pending) {
      const rec = this.records.get(id)!;
      if (rec.stage !== head.stage) break;
      if (rec.stage === "uploadSigned" && rec.uploadTx!.hash !== head.uploadTx!.hash) break;
      if (rec.stage === "confirmSigned" && rec.confirmTx!.hash !== head.confirmTx!.hash) break;
      if ((rec.stage === "queued" || rec.stage === "uploaded") && out.length > 0) {
        if (out.length >= this.options.maxBatchBlobs || bytes + rec.size > this.options.maxBatchBytes) break;
      }
      out.push(rec);
      bytes += rec.size;
    }
    return out;
  }

  /** Moves a batch one stage on; failures that mean a blob can never be dispersed end it as FAILED. */
  private async step(batch: BlobRecord[]): Promise<void> {
    const chain = this.deps.chain;
    const head = batch[0]!;
    switch (head.stage) {
      case "queued": {
        const blobs = await Promise.all(batch.map((r) => this.encodedBlob(r)));
        const uploadTx = await chain.signUpload(blobs.map((b) => b.dataRoot));
        await this.saveAll(batch.map((r, k) => [r, { stage: "uploadSigned", dataRoot: bytesToHex(blobs[k]!.dataRoot), uploadTx }]));
        return;
      }
      case "uploadSigned": {
        await chain.send(head.uploadTx!);
        const r = await this.receipt(head.uploadTx!.hash);
        const changes: [BlobRecord, Partial<BlobRecord>][] = batch.map((rec) => {
          const up = r.dataUploads.find((u) => bytesToHex(u.dataRoot) === rec.dataRoot);
          if (!r.ok || !up)
            return [rec, { stage: "failed", error: `submitOriginalData failed: ${r.revert ?? "no DataUpload log for this data root"}` }];
          return [rec, { stage: "uploaded", epoch: up.epoch, quorumId: up.quorumId, uploadBlock: r.blockNumber }];
        });
        await this.saveAll(changes);
        for (const [rec, c] of changes) if (c.stage === "failed") this.done(rec);
        return;
      }
      case "uploaded":
        return this.collectSignatures(batch);
      case "confirmSigned": {
        await chain.send(head.confirmTx!);
        const r = await this.receipt(head.confirmTx!.hash);
        const verified = new Set<string>(r.verified.map((v) => bytesToHex(v)));
        const changes: [BlobRecord, Partial<BlobRecord>][] = batch.map((rec) =>
          r.ok && verified.has(rec.dataRoot!)
            ? [rec, { stage: "confirmed", confirmBlock: r.blockNumber }]
            : [rec, { stage: "failed", error: `submitVerifiedCommitRoots failed: ${r.revert ?? "no ErasureCommitmentVerified log"}` }],
        );
        await this.saveAll(changes);
        for (const [rec, c] of changes) {
          this.done(rec);
          if (c.stage === "confirmed")
            this.log.info(
              { id: rec.id, dataRoot: rec.dataRoot, epoch: rec.epoch, quorumId: rec.quorumId, slots: rec.signedSlots },
              "blob confirmed",
            );
          else this.log.warn({ id: rec.id, error: c.error }, "blob failed");
        }
        return;
      }
      default:
        for (const rec of batch) this.done(rec);
    }
  }

  /** Collects and aggregates the quorum's signatures for each blob of a batch, then signs one confirmation for those with enough. */
  private async collectSignatures(batch: BlobRecord[]): Promise<void> {
    const chain = this.deps.chain;
    // Signers index DataUpload from final blocks only.
    const last = Math.max(...batch.map((r) => r.uploadBlock!));
    while ((await chain.finalizedBlock()) < last) await this.idle(this.options.pollMs);
    const outcomes = await Promise.all(batch.map((rec) => this.signaturesFor(rec)));
    const ready = outcomes.filter((o) => o.submission !== undefined);
    const changes: [BlobRecord, Partial<BlobRecord>][] = [];
    for (const o of outcomes) {
      if (o.submission) continue;
      const attempts = o.rec.attempts + 1;
      changes.push([
        o.rec,
        attempts >= this.options.maxSignAttempts ? { stage: "failed", attempts, error: o.why! } : { attempts, error: o.why! },
      ]);
    }
    if (ready.length > 0) {
      const confirmTx = await chain.signConfirm(ready.map((o) => o.submission!));
      for (const o of ready) changes.push([o.rec, { stage: "confirmSigned", confirmTx, signedSlots: o.signedSlots!, signers: o.signers! }]);
    }
    await this.saveAll(changes);
    for (const [rec, c] of changes) {
      if (c.stage === "failed") {
        this.log.warn({ id: rec.id, error: c.error }, "blob failed");
        this.done(rec);
      }
    }
    // Blobs waiting for another signature round go behind the ones going on.
    const retry = changes.filter(([, c]) => c.stage === undefined).map(([r]) => r.id);
    if (retry.length > 0) {
      for (const id of retry) this.pending.splice(this.pending.indexOf(id), 1);
      this.pending.push(...retry);
      if (ready.length === 0) await this.idle(this.options.signRetryMs);
    }
  }

  private async signaturesFor(rec: BlobRecord): Promise<{
    rec: BlobRecord;
    submission?: CommitRootSubmission;
    signedSlots?: number;
    signers?: string[];
    why?: string;
  }> {
    const chain = this.deps.chain;
    const blob = await this.encodedBlob(rec);
    const ref = { dataRoot: blob.dataRoot, epoch: rec.epoch!, quorumId: rec.quorumId! };
    const commitments = blob.rows.map((r) => r.commitment);
    const quorum = await this.quorumOf(ref.epoch, ref.quorumId);
    const signers = await chain.signers([...new Set(quorum)]);
    const answers = await Promise.all(
      signers.map(async (s) => {
        const columns = slotsOf(quorum, s.address);
        try {
          const signature = await this.client(s.url).sign(
            {
              ...ref,
              commitments,
              columns,
              cells: columns.map((c) => blob.rows.map((r) => r.cells[c]!)),
              proofs: columns.map((c) => blob.rows.map((r) => r.proofs[c]!)),
            },
            this.stopping.signal,
          );
          return { address: s.address, signature };
        } catch (e) {
          this.log.warn({ id: rec.id, signer: s.address, url: s.url, err: (e as Error).message }, "signer did not sign");
          return null;
        }
      }),
    );
    const commitmentsHash = commitmentsHashOf(commitments);
    const message = blobSignMessage({ ...ref, commitmentsHash });
    const agg = aggregateQuorumSignatures(
      quorum,
      message,
      new Map(signers.map((s) => [s.address, s.publicKey])),
      answers.filter((a) => a !== null),
    );
    if (!agg.enough) {
      const left = agg.rejected.length ? `; left out: ${agg.rejected.map((r) => `${r.address} (${r.reason})`).join(", ")}` : "";
      return { rec, why: `only ${agg.signedSlots} of 128 slots signed (86 needed)${left}` };
    }
    return {
      rec,
      submission: { ...ref, commitmentsHash, bitmap: agg.bitmap, signature: agg.signature },
      signedSlots: agg.signedSlots,
      signers: agg.signers,
    };
  }

  private async quorumOf(epoch: number, quorumId: number): Promise<readonly string[]> {
    const quorum = await this.deps.chain.quorum(epoch, quorumId);
    if (!quorum)
      throw new DaError({ code: DaErrorCode.NOT_FOUND, what: "quorum" }, `the chain has no quorum ${quorumId} in epoch ${epoch}`);
    return quorum;
  }

  private async finalizeConfirmed(): Promise<void> {
    const confirmed = [...this.records.values()].filter((r) => r.stage === "confirmed");
    if (confirmed.length === 0) return;
    const final = await this.deps.chain.finalizedBlock();
    for (const r of confirmed) if (r.confirmBlock! <= final) await this.save(r, { stage: "finalized" });
  }

  private encodedBlob(rec: BlobRecord): Promise<EncodedBlob> {
    let p = this.encoded.get(rec.id);
    if (!p) {
      const data = this.deps.db.get(tableKey(T.DATA, utf8.encode(rec.id)));
      if (!data)
        throw new DaError({ code: DaErrorCode.NOT_FOUND, what: `blob ${rec.id} data` }, `the stored bytes of blob ${rec.id} are missing`);
      p = this.deps.encoder.encode(data);
      this.encoded.set(rec.id, p);
      p.catch(() => this.encoded.delete(rec.id));
    }
    return p;
  }

  private async receipt(hash: `0x${string}`): Promise<ReceiptInfo> {
    for (;;) {
      const r = await this.deps.chain.receipt(hash);
      if (r) return r;
      await this.idle(this.options.pollMs);
      if (this.stopping.signal.aborted) throw new Error("stopping");
    }
  }

  /** The blob left the on-chain pipeline: the next one goes. */
  private done(rec: BlobRecord): void {
    const k = this.pending.indexOf(rec.id);
    if (k >= 0) {
      this.pending.splice(k, 1);
      this.queuedBytes -= rec.size;
    }
    this.encoded.delete(rec.id);
  }

  /** Applies changes to several records in one atomic write (a batch shares its transactions). */
  private async saveAll(changes: readonly [BlobRecord, Partial<BlobRecord>][]): Promise<void> {
    if (changes.length === 0) return;
    for (const [rec, change] of changes) Object.assign(rec, change);
    await this.deps.db.batch(
      changes.map(([rec]) => ({
        type: "put" as const,
        key: tableKey(T.RECORD, utf8.encode(rec.id)),
        value: utf8.encode(JSON.stringify(rec)),
      })),
    );
  }

  private async save(rec: BlobRecord, change: Partial<BlobRecord>): Promise<void> {
    Object.assign(rec, change);
    await this.deps.db.batch([{ type: "put", key: tableKey(T.RECORD, utf8.encode(rec.id)), value: utf8.encode(JSON.stringify(rec)) }]);
  }

  private idle(ms: number): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
