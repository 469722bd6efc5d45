import type { BlobStatus } from "../disperser/blobRecord.js";
import { DISPERSER_ROUTES } from "../disperser/disperserRoutes.js";
import { DaError, DaErrorCode } from "../errors.js";

export interface BlobStatusReply {
  status: BlobStatus;
  size?: number;
  info?: {
    dataRoot: string;
    epoch: number;
    quorumId: number;
    uploadTx?: string;
    confirmTx?: string;
    confirmBlock?: number;
    signedSlots?: number;
  };
  error?: string;
}

/** A disperser's HTTP API (`disperserRoutes.ts`). */
export class DisperserClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 120_000,
  ) {}

  async disperseBlob(data: Uint8Array, signal?: AbortSignal): Promise<{ requestId: string; status: BlobStatus }> {
    return (await this.json(await this.send(DISPERSER_ROUTES.disperse, { method: "POST", body: data }, signal))) as never;
  }

  /** The status; NOT_FOUND (not an error) for an id the disperser never saw. */
  async getBlobStatus(id: string, signal?: AbortSignal): Promise<BlobStatusReply> {
    const res = await this.send(`${DISPERSER_ROUTES.status}?id=${encodeURIComponent(id)}`, { method: "GET" }, signal);
    if (res.status === 404) return { status: "NOT_FOUND" };
    return (await this.json(res)) as BlobStatusReply;
  }

  async retrieveBlob(id: string, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.send(`${DISPERSER_ROUTES.retrieve}?id=${encodeURIComponent(id)}`, { method: "GET" }, signal);
    if (!res.ok) await this.json(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  private async send(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(new URL(path, this.url), { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (e) {
      throw new DaError(
        { code: DaErrorCode.NODE_UNREACHABLE, url: this.url },
        `the DA disperser at ${this.url} did not answer: ${timeout.aborted ? `no answer within ${this.timeoutMs} ms` : (e as Error).message}; is it running (zg devnet starts one)?`,
        { cause: e },
      );
    }
  }

  private async json(res: Response): Promise<unknown> {
    const text = await res.text();
    let body: { error?: { code?: string; message?: string } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new DaError(
        { code: DaErrorCode.NODE_REFUSED, url: this.url, status: res.status, nodeCode: "BAD_RESPONSE" },
        `the DA disperser answered HTTP ${res.status}: ${text.slice(0, 200)}`,
      );
    }
    if (!res.ok || body.error) {
      throw new DaError(
        { code: DaErrorCode.NODE_REFUSED, url: this.url, status: res.status, nodeCode: body.error?.code ?? `HTTP_${res.status}` },
        `the DA disperser refused: ${body.error?.message ?? text.slice(0, 200)}`,
      );
    }
    return body;
  }
}
