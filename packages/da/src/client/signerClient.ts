import { bytesToHex, hexToBytes } from "@zerog/core";
import { DaError, DaErrorCode } from "../errors.js";
import { type BlobColumns, decodeBlobColumns, encodeBlobColumns } from "../signer/blobColumns.js";
import { BLOB_COLUMNS_CONTENT_TYPE, SIGNER_ROUTES } from "../signer/signerRoutes.js";

export interface BlobRef {
  dataRoot: Uint8Array;
  epoch: number;
  quorumId: number;
}

/** A DA signer's HTTP API (`signerRoutes.ts`) from the disperser's, a retriever's or a sampler's side. */
export class SignerClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Asks the signer to verify and sign its columns of a blob; the compressed 96-byte BLS signature. */
  async sign(columns: BlobColumns, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.send(SIGNER_ROUTES.sign, { method: "POST", body: encodeBlobColumns(columns) }, signal);
    const { signature } = (await this.json(res)) as { signature?: unknown };
    if (typeof signature !== "string") throw this.bad("the sign answer has no signature");
    return hexToBytes(signature);
  }

  /** The signer's stored columns of a blob (all, or `columns`), unverified: the caller checks every cell. */
  async retrieve(ref: BlobRef, columns?: readonly number[], signal?: AbortSignal): Promise<BlobColumns> {
    const body = JSON.stringify({
      dataRoot: bytesToHex(ref.dataRoot),
      epoch: ref.epoch,
      quorumId: ref.quorumId,
      ...(columns ? { columns } : {}),
    });
    const res = await this.send(SIGNER_ROUTES.retrieve, { method: "POST", body, headers: { "content-type": "application/json" } }, signal);
    if (res.headers.get("content-type") !== BLOB_COLUMNS_CONTENT_TYPE) await this.json(res); // throws the signer's error
    const got = decodeBlobColumns(new Uint8Array(await res.arrayBuffer()));
    if (bytesToHex(got.dataRoot) !== bytesToHex(ref.dataRoot) || got.epoch !== ref.epoch || got.quorumId !== ref.quorumId)
      throw this.bad("it answered with another blob's columns");
    return got;
  }

  /** One cell with its proof and its row's commitment, unverified. */
  async cell(
    ref: BlobRef,
    row: number,
    column: number,
    signal?: AbortSignal,
  ): Promise<{ cell: Uint8Array; proof: Uint8Array; commitment: Uint8Array }> {
    const q = `dataRoot=${bytesToHex(ref.dataRoot)}&epoch=${ref.epoch}&quorumId=${ref.quorumId}&row=${row}&column=${column}`;
    const a = (await this.json(await this.send(`${SIGNER_ROUTES.cell}?${q}`, { method: "GET" }, signal))) as Record<string, unknown>;
    const hex = (k: string) => {
      if (typeof a[k] !== "string") throw this.bad(`the cell answer has no ${k}`);
      return hexToBytes(a[k] as string);
    };
    return { cell: hex("cell"), proof: hex("proof"), commitment: hex("commitment") };
  }

  async status(signal?: AbortSignal): Promise<{ statusCode: number; signer: string; publicKey: string; blobs: number }> {
    return (await this.json(await this.send(SIGNER_ROUTES.status, { method: "GET" }, signal))) as never;
  }

  private async send(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(new URL(path, this.url), { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (e) {
      throw new DaError(
        { code: DaErrorCode.NODE_UNREACHABLE, url: this.url },
        `DA signer ${this.url} did not answer ${path.split("?")[0]}: ${timeout.aborted ? `no answer within ${this.timeoutMs} ms` : (e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** A JSON answer; a signer's `{error}` (or any non-2xx) becomes `NODE_REFUSED` with its code and message. */
  private async json(res: Response): Promise<unknown> {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.bad(`HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
    if (!res.ok || error) {
      const code = typeof error?.code === "string" ? error.code : `HTTP_${res.status}`;
      const message = typeof error?.message === "string" ? error.message : text.slice(0, 200);
      throw new DaError(
        { code: DaErrorCode.NODE_REFUSED, url: this.url, status: res.status, nodeCode: code },
        `DA signer ${this.url}: ${message}`,
      );
    }
    return body;
  }

  private bad(detail: string): DaError {
    return new DaError(
      { code: DaErrorCode.NODE_REFUSED, url: this.url, status: 0, nodeCode: "BAD_RESPONSE" },
      `DA signer ${this.url}: ${detail}`,
    );
  }
}
