import type { HttpRouteResponse, JsonRpcServer } from "@zerog/core";
import { MAX_BLOB_BYTES } from "../encoder/params.js";
import { DaError, DaErrorCode } from "../errors.js";
import type { Disperser } from "./disperser.js";

export const DISPERSER_ROUTES = { disperse: "/v1/blobs", status: "/v1/blobs/status", retrieve: "/v1/blobs/retrieve" } as const;

/**
 * The disperser's HTTP API, 0G's `Disperser` service over HTTP: `POST /v1/blobs` (DisperseBlob: the body is the blob;
 * answers `{requestId, status: "PROCESSING"}`), `GET /v1/blobs/status?id=` (GetBlobStatus: `{status, info}` with
 * `info = {dataRoot, epoch, quorumId, …}` once confirmed; 404 with status NOT_FOUND for an unknown id),
 * `GET /v1/blobs/retrieve?id=` (RetrieveBlob: the bytes, rebuilt from the signers with every cell verified).
 */
export function registerDisperserRoutes(server: JsonRpcServer, disperser: Disperser): void {
  server.addRoute(
    "POST",
    DISPERSER_ROUTES.disperse,
    (req) =>
      answer(async () => {
        const { id, status } = await disperser.disperse(req.body);
        return json(200, { requestId: id, status });
      }),
    { maxBodyBytes: MAX_BLOB_BYTES },
  );
  server.addRoute("GET", DISPERSER_ROUTES.status, (req) =>
    answer(async () => {
      const id = req.query.get("id") ?? "";
      const { status, record } = disperser.status(id);
      if (!record) return json(404, { status, error: { code: DaErrorCode.NOT_FOUND, message: `no blob has the id "${id}"` } });
      const info =
        record.dataRoot === undefined
          ? undefined
          : {
              dataRoot: record.dataRoot,
              epoch: record.epoch,
              quorumId: record.quorumId,
              uploadTx: record.uploadTx?.hash,
              confirmTx: record.confirmTx?.hash,
              confirmBlock: record.confirmBlock,
              signedSlots: record.signedSlots,
            };
      return json(200, { status, size: record.size, ...(info ? { info } : {}), ...(record.error ? { error: record.error } : {}) });
    }),
  );
  server.addRoute("GET", DISPERSER_ROUTES.retrieve, (req) =>
    answer(async () => ({ contentType: "application/octet-stream", body: await disperser.retrieve(req.query.get("id") ?? "") })),
  );
}

function json(status: number, body: unknown): HttpRouteResponse {
  return { status, contentType: "application/json", body: JSON.stringify(body) };
}

async function answer(f: () => Promise<HttpRouteResponse>): Promise<HttpRouteResponse> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof DaError)) throw e;
    const code = e.type.code;
    const status = code === DaErrorCode.NOT_FOUND ? 404 : code === DaErrorCode.BUSY ? 503 : code === DaErrorCode.UNAVAILABLE ? 502 : 400;
    return json(status, { error: { code, message: e.message } });
  }
}
