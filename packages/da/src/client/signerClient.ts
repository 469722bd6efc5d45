import { bytesToHex, hexToBytes } from "@zerog/core";
import { type BlobColumns, decodeBlobColumns, encodeBlobColumns } from "../signer/blobColumns.js";
import { BLOB_COLUMNS_CONTENT_TYPE, SIGNER_ROUTES } from "../signer/signerRoutes.js";
import { DANodeHttp } from "./daNodeHttp.js";

export interface BlobRef {
  dataRoot: Uint8Array;
  epoch: number;
  quorumId: number;
}

/** A DA signer's HTTP API (`signerRoutes.ts`) from the disperser's, a retriever's or a sampler's side. */
export class SignerClient {
  private readonly http: DANodeHttp;

  constructor(
    readonly url: string,
    timeoutMs = 60_000,
  ) {
    this.http = new DANodeHttp(url, `DA signer ${url}`, timeoutMs);
  }

  /** Asks the signer to verify and sign its columns of a blob; the compressed 96-byte BLS signature. */
  async sign(columns: BlobColumns, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.http.send(SIGNER_ROUTES.sign, { method: "POST", body: encodeBlobColumns(columns) }, signal);
    const { signature } = (await this.http.json(res)) as { signature?: unknown };
    if (typeof signature !== "string") throw this.http.bad("the sign answer has no signature");
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
    const res = await this.http.send(
      SIGNER_ROUTES.retrieve,
      { method: "POST", body, headers: { "content-type": "application/json" } },
      signal,
    );
    if (res.headers.get("content-type") !== BLOB_COLUMNS_CONTENT_TYPE) await this.http.json(res); // throws the signer's error
    const got = decodeBlobColumns(new Uint8Array(await res.arrayBuffer()));
    if (bytesToHex(got.dataRoot) !== bytesToHex(ref.dataRoot) || got.epoch !== ref.epoch || got.quorumId !== ref.quorumId)
      throw this.http.bad("it answered with another blob's columns");
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
    const a = (await this.http.json(await this.http.send(`${SIGNER_ROUTES.cell}?${q}`, { method: "GET" }, signal))) as Record<
      string,
      unknown
    >;
    const hex = (k: string) => {
      if (typeof a[k] !== "string") throw this.http.bad(`the cell answer has no ${k}`);
      return hexToBytes(a[k] as string);
    };
    return { cell: hex("cell"), proof: hex("proof"), commitment: hex("commitment") };
  }

  async status(signal?: AbortSignal): Promise<{ statusCode: number; signer: string; publicKey: string; blobs: number }> {
    return (await this.http.json(await this.http.send(SIGNER_ROUTES.status, { method: "GET" }, signal))) as never;
  }
}
