import type { HttpRouteRequest, HttpRouteResponse, JsonRpcServer } from "@zerog/core";
import { bytesToHex } from "@zerog/core";
import { fileProofToJSON, numSegments } from "@zerog/core/merkle";
import type { LogStore } from "../flow/logStore.js";

/** `GET /zerog/v1/segments?txSeq=N&indices=i,j,…`: segments with proofs as binary frames (a zerog extension). */
export const SEGMENTS_ROUTE = "/zerog/v1/segments";
export const SEGMENTS_CONTENT_TYPE = "application/vnd.zerog.segments";
/** Most segments one request may ask for (8 MiB of data). */
export const MAX_SEGMENTS_PER_REQUEST = 32;

/**
 * The segments of `zgs_downloadSegmentWithProofByTxSeq` without JSON and base64: downloads were bound by the client's
 * text decoding and JSON parsing of ~350 KB strings per segment. One frame per asked index, in order:
 * `u32 metaLength | meta (UTF-8 JSON) | data`, meta `{index, found: false}` or
 * `{index, found: true, root, fileSize, proof: {lemma, path}, length}` followed by `length` data bytes. The client
 * verifies every segment against the file root as with the JSON-RPC method; 0G's nodes do not serve this route, and
 * clients fall back to JSON-RPC on any other answer.
 */
export function registerSegmentsRoute(server: JsonRpcServer, store: LogStore): void {
  server.addRoute("GET", SEGMENTS_ROUTE, (req) => serveSegments(store, req));
}

function serveSegments(store: LogStore, req: HttpRouteRequest): HttpRouteResponse {
  const seqText = req.query.get("txSeq") ?? "";
  const indicesText = req.query.get("indices") ?? "";
  if (!/^\d{1,15}$/.test(seqText)) return badRequest("txSeq must be a tx sequence number");
  if (!/^\d{1,15}(,\d{1,15})*$/.test(indicesText)) return badRequest("indices must be comma-separated segment indices");
  const indices = indicesText.split(",").map(Number);
  if (indices.length > MAX_SEGMENTS_PER_REQUEST) return badRequest(`at most ${MAX_SEGMENTS_PER_REQUEST} segments per request`);
  const tx = store.getTx(Number(seqText));
  const parts: Uint8Array[] = [];
  for (const index of indices) {
    const seg = tx && index < numSegments(tx.size) ? store.readSegment(tx, index) : undefined;
    const meta = seg
      ? {
          index,
          found: true,
          root: bytesToHex(seg.root),
          fileSize: seg.fileSize,
          proof: fileProofToJSON(seg.proof),
          length: seg.data.length,
        }
      : { index, found: false };
    const metaBytes = Buffer.from(JSON.stringify(meta), "utf8");
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(metaBytes.length, 0);
    parts.push(head, metaBytes);
    if (seg) parts.push(seg.data);
  }
  return { contentType: SEGMENTS_CONTENT_TYPE, body: Buffer.concat(parts) };
}

function badRequest(message: string): HttpRouteResponse {
  return { status: 400, body: `${message}\n` };
}
