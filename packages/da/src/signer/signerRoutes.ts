import { bytesToHex, equalsBytes, type HttpRouteResponse, type JsonRpcServer, type Logger } from "@zerog/core";
import { MAX_ROWS } from "../encoder/params.js";
import { DaError, DaErrorCode } from "../errors.js";
import { CELL_WITH_PROOF_BYTES, decodeBlobColumns, encodeBlobColumns, hash32, index } from "./blobColumns.js";
import type { CellStore } from "./cellStore.js";
import { checkSignRequest, type SignerChainView } from "./checkSignRequest.js";
import { blobSignMessage, commitmentsHashOf } from "./message.js";
import { type DASignerKey, signWithDASignerKey } from "./signerKey.js";

export const SIGNER_ROUTES = { sign: "/v1/sign", retrieve: "/v1/retrieve", cell: "/v1/cell", status: "/v1/status" } as const;
export const BLOB_COLUMNS_CONTENT_TYPE = "application/vnd.zerog.da-columns";
/** A sign request holds at most every column of the largest blob, plus its meta. */
export const MAX_SIGN_REQUEST_BYTES = 128 * MAX_ROWS * CELL_WITH_PROOF_BYTES + (1 << 20);

export interface SignerRoutesDeps {
  store: CellStore;
  chain: SignerChainView;
  key: DASignerKey;
  /** The signer's account (lower-case 0x), the owner of its slots on chain. */
  address: string;
  logger: Logger;
  /** Sign requests verified at once; more are answered 503 (0G's `max_ongoing_sign_request`, default 10). */
  maxOngoingSigns?: number;
}

/**
 * The signer's HTTP API (zerog's form of 0G's `Signer` gRPC service): `POST /v1/sign` (BatchSign for one blob: its
 * columns in `encodeBlobColumns` frames; answers `{signature}`), `POST /v1/retrieve` (BatchRetrieve: JSON
 * `{dataRoot, epoch, quorumId, columns?}` → frames of the stored columns, each cell with its proof),
 * `GET /v1/cell?dataRoot&epoch&quorumId&row&column` (one cell and proof, for samplers), `GET /v1/status`. Errors are
 * JSON `{error: {code, message}}` with 400, 404, 413 or 503.
 */
export function registerSignerRoutes(server: JsonRpcServer, deps: SignerRoutesDeps): void {
  const maxOngoing = deps.maxOngoingSigns ?? 10;
  let ongoing = 0;
  const me = deps.address.toLowerCase();

  server.addRoute(
    "POST",
    SIGNER_ROUTES.sign,
    async (req) =>
      answer(async () => {
        if (ongoing >= maxOngoing)
          throw new DaError({ code: DaErrorCode.BUSY, limit: maxOngoing }, `busy: ${maxOngoing} sign requests are being verified; retry`);
        ongoing++;
        try {
          const blob = decodeBlobColumns(req.body);
          // Signed before (a disperser retrying): the stored, verified commitments decide what is signed again.
          const stored = deps.store.commitments(blob.dataRoot, blob.epoch, blob.quorumId);
          if (stored && !equalsBytes(commitmentsHashOf(stored), commitmentsHashOf(blob.commitments)))
            throw new DaError(
              { code: DaErrorCode.SIGN_REJECTED, reason: "other commitments" },
              "refused to sign: this data root was signed with other commitments",
            );
          const message = stored
            ? blobSignMessage({ ...blob, commitmentsHash: commitmentsHashOf(stored) })
            : await checkSignRequest(blob, me, deps.chain);
          if (!stored) await deps.store.put(blob);
          deps.logger.info(
            { dataRoot: bytesToHex(blob.dataRoot), epoch: blob.epoch, quorumId: blob.quorumId, columns: blob.columns.length },
            "blob signed",
          );
          return json(200, {
            signature: bytesToHex(signWithDASignerKey(deps.key, message)),
            signer: me,
            publicKey: bytesToHex(deps.key.publicKey),
          });
        } finally {
          ongoing--;
        }
      }),
    { maxBodyBytes: MAX_SIGN_REQUEST_BYTES },
  );

  server.addRoute(
    "POST",
    SIGNER_ROUTES.retrieve,
    async (req) =>
      answer(async () => {
        let q: Record<string, unknown>;
        try {
          q = JSON.parse(new TextDecoder().decode(req.body)) as Record<string, unknown>;
        } catch {
          throw new DaError(
            { code: DaErrorCode.BAD_REQUEST, detail: "not JSON" },
            "the body must be JSON {dataRoot, epoch, quorumId, columns?}",
          );
        }
        if (typeof q !== "object" || q === null)
          throw new DaError({ code: DaErrorCode.BAD_REQUEST, detail: "not an object" }, "the body must be a JSON object");
        const only = q.columns === undefined ? undefined : (Array.isArray(q.columns) ? q.columns : [NaN]).map((c) => index(c, "columns[]"));
        const blob = deps.store.get(hash32(q.dataRoot, "dataRoot"), index(q.epoch, "epoch"), index(q.quorumId, "quorumId"), only);
        if (!blob) throw notFound("this signer stores no such blob");
        return { contentType: BLOB_COLUMNS_CONTENT_TYPE, body: encodeBlobColumns(blob) };
      }),
    { maxBodyBytes: 64 << 10 },
  );

  server.addRoute("GET", SIGNER_ROUTES.cell, (req) =>
    answer(async () => {
      const num = (name: string) => {
        const v = req.query.get(name) ?? "";
        return index(/^\d{1,15}$/.test(v) ? Number(v) : Number.NaN, name);
      };
      const row = num("row");
      const column = num("column");
      const blob = deps.store.get(hash32(req.query.get("dataRoot"), "dataRoot"), num("epoch"), num("quorumId"), [column]);
      if (!blob) throw notFound("this signer stores no such blob");
      if (blob.columns.length === 0) throw notFound(`this signer does not hold column ${column}`);
      if (row >= blob.commitments.length) throw notFound(`the blob has ${blob.commitments.length} rows`);
      return json(200, {
        row,
        column,
        cell: bytesToHex(blob.cells[0]![row]!),
        proof: bytesToHex(blob.proofs[0]![row]!),
        commitment: bytesToHex(blob.commitments[row]!),
      });
    }),
  );

  server.addRoute("GET", SIGNER_ROUTES.status, () =>
    json(200, { statusCode: 200, signer: me, publicKey: bytesToHex(deps.key.publicKey), blobs: deps.store.count() }),
  );
}

function json(status: number, body: unknown): HttpRouteResponse {
  return { status, contentType: "application/json", body: JSON.stringify(body) };
}

function notFound(what: string): DaError {
  return new DaError({ code: DaErrorCode.NOT_FOUND, what }, what);
}

/** Runs a handler, turning a `DaError` into its HTTP status and JSON body; anything else is the server's 500. */
async function answer(f: () => Promise<HttpRouteResponse>): Promise<HttpRouteResponse> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof DaError)) throw e;
    const status = e.type.code === DaErrorCode.NOT_FOUND ? 404 : e.type.code === DaErrorCode.BUSY ? 503 : 400;
    return json(status, { error: { code: e.type.code, message: e.message } });
  }
}
