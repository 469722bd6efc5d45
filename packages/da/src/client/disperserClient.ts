import type { BlobStatus } from "../disperser/blobRecord.js";
import { DISPERSER_ROUTES } from "../disperser/disperserRoutes.js";
import { DANodeHttp } from "./daNodeHttp.js";

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
  private readonly http: DANodeHttp;

  constructor(
    readonly url: string,
    timeoutMs = 120_000,
  ) {
    this.http = new DANodeHttp(url, `the DA disperser at ${url}`, timeoutMs, "; is it running (zg devnet starts one)?");
  }

  async disperseBlob(data: Uint8Array, signal?: AbortSignal): Promise<{ requestId: string; status: BlobStatus }> {
    return (await this.http.json(await this.http.send(DISPERSER_ROUTES.disperse, { method: "POST", body: data }, signal))) as never;
  }

  /** The status; NOT_FOUND (not an error) for an id the disperser never saw. */
  async getBlobStatus(id: string, signal?: AbortSignal): Promise<BlobStatusReply> {
    const res = await this.http.send(`${DISPERSER_ROUTES.status}?id=${encodeURIComponent(id)}`, { method: "GET" }, signal);
    if (res.status === 404) return { status: "NOT_FOUND" };
    return (await this.http.json(res)) as BlobStatusReply;
  }

  async retrieveBlob(id: string, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.http.send(`${DISPERSER_ROUTES.retrieve}?id=${encodeURIComponent(id)}`, { method: "GET" }, signal);
    if (!res.ok) await this.http.json(res);
    return new Uint8Array(await res.arrayBuffer());
  }
}
