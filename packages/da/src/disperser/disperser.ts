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
import type { DisperserChain } from "./disperserChain.js";

export interface DisperserOptions {
  /** Signature rounds for a blob before it fails (0G's `max-num-retries-for-sign`). */
  maxSignAttempts: number;
  /** How often receipts and finality are polled. */
  pollMs: number;
  /** Pause between signature rounds. */
  signRetryMs: number;
  /** Bytes of blobs waiting to be dispersed; more are refused (BUSY) until some are done. */
  maxQueuedBytes: number;
  /** Blobs behind the one on chain that are encoded meanwhile, so encoding overlaps the chain's round trips. */
  encodeAhead: number;
}

export const defaultDisperserOptions: DisperserOptions = {
  maxSignAttempts: 3,
  pollMs: 50,
  signRetryMs: 2_000,
  maxQueuedBytes: 256 << 20,
  encodeAhead: 2,
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
        for (const next of this.pending.slice(1, 1 + this.options.encodeAhead)) {
          const rec = this.records.get(next)!;
          if (rec.stage === "queued" || rec.stage === "uploadSigned" || rec.stage === "uploaded") void this.encodedBlob(rec).catch(() => {});
        }
        await this.step(this.records.get(id)!);
      } catch (e) {
        if (signal.aborted) break;
        this.log.warn({ err: e }, "dispersal step failed; retrying");
        await this.idle(this.options.pollMs * 5);
      }
    }
  }

  /** Moves one blob one stage on; failures that mean the blob can never be dispersed end it as FAILED. */
  private async step(rec: BlobRecord): Promise<void> {
    const chain = this.deps.chain;
    switch (rec.stage) {
      case "queued": {
        const blob = await this.encodedBlob(rec);
        const uploadTx = await chain.signUpload(blob.dataRoot);
        await this.save(rec, { stage: "uploadSigned", dataRoot: bytesToHex(blob.dataRoot), uploadTx });
        return;
      }
      case "uploadSigned": {
        await chain.send(rec.uploadTx!);
        const r = await this.receipt(rec.uploadTx!.hash, rec);
        if (!r.ok || !r.dataUpload)
          return this.fail(rec, `submitOriginalData failed: ${r.revert ?? "no DataUpload log for this data root"}`);
        await this.save(rec, { stage: "uploaded", epoch: r.dataUpload.epoch, quorumId: r.dataUpload.quorumId, uploadBlock: r.blockNumber });
        return;
      }
      case "uploaded":
        return this.collectSignatures(rec);
      case "confirmSigned": {
        await chain.send(rec.confirmTx!);
        const r = await this.receipt(rec.confirmTx!.hash, rec);
        if (!r.ok || !r.verified)
          return this.fail(rec, `submitVerifiedCommitRoots failed: ${r.revert ?? "no ErasureCommitmentVerified log"}`);
        await this.save(rec, { stage: "confirmed", confirmBlock: r.blockNumber });
        this.done(rec);
        this.log.info(
          { id: rec.id, dataRoot: rec.dataRoot, epoch: rec.epoch, quorumId: rec.quorumId, slots: rec.signedSlots },
          "blob confirmed",
        );
        return;
      }
      default:
        this.done(rec);
    }
  }

  private async collectSignatures(rec: BlobRecord): Promise<void> {
    const chain = this.deps.chain;
    // Signers index DataUpload from final blocks only.
    while ((await chain.finalizedBlock()) < rec.uploadBlock!) await this.idle(this.options.pollMs);
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
      const attempts = rec.attempts + 1;
      const why = `only ${agg.signedSlots} of 128 slots signed (86 needed)${agg.rejected.length ? `; left out: ${agg.rejected.map((r) => `${r.address} (${r.reason})`).join(", ")}` : ""}`;
      if (attempts >= this.options.maxSignAttempts) return this.fail(rec, why);
      await this.save(rec, { attempts, error: why });
      await this.idle(this.options.signRetryMs);
      return;
    }
    const confirmTx = await chain.signConfirm({ ...ref, commitmentsHash, bitmap: agg.bitmap, signature: agg.signature });
    await this.save(rec, { stage: "confirmSigned", confirmTx, signedSlots: agg.signedSlots, signers: agg.signers });
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

  private async receipt(hash: `0x${string}`, rec: BlobRecord) {
    for (;;) {
      const r = await this.deps.chain.receipt(hash, hexToBytes(rec.dataRoot!));
      if (r) return r;
      await this.idle(this.options.pollMs);
      if (this.stopping.signal.aborted) throw new Error("stopping");
    }
  }

  private async fail(rec: BlobRecord, error: string): Promise<void> {
    this.log.warn({ id: rec.id, error }, "blob failed");
    await this.save(rec, { stage: "failed", error });
    this.done(rec);
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
