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
  const pool = new ResponsePool();
  server.addRoute("GET", SEGMENTS_ROUTE, (req) => serveSegments(store, pool, req));
}

/**
 * Response buffers reused once sent. A fresh multi-MiB buffer per response made V8 count it as external memory and run
 * a full mark-compact of the node's heap every few responses: half the node's CPU while serving downloads.
 */
class ResponsePool {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;

  constructor(private readonly maxBytes = 32 << 20) {}

  take(size: number): { bytes: Buffer; release: () => void } {
    const k = this.free.findIndex((b) => b.length >= size);
    const whole = k < 0 ? Buffer.allocUnsafeSlow(Math.max(size, 1 << 20)) : this.free.splice(k, 1)[0]!;
    if (k >= 0) this.freeBytes -= whole.length;
    return { bytes: whole.subarray(0, size), release: () => this.give(whole) };
  }

  private give(whole: Buffer): void {
    if (this.freeBytes + whole.length > this.maxBytes) return;
    this.free.push(whole);
    this.freeBytes += whole.length;
  }
}

function serveSegments(store: LogStore, pool: ResponsePool, req: HttpRouteRequest): HttpRouteResponse {
  const seqText = req.query.get("txSeq") ?? "";
  const indicesText = req.query.get("indices") ?? "";
  if (!/^\d{1,15}$/.test(seqText)) return badRequest("txSeq must be a tx sequence number");
  if (!/^\d{1,15}(,\d{1,15})*$/.test(indicesText)) return badRequest("indices must be comma-separated segment indices");
  const indices = indicesText.split(",").map(Number);
  if (indices.length > MAX_SEGMENTS_PER_REQUEST) return badRequest(`at most ${MAX_SEGMENTS_PER_REQUEST} segments per request`);
  const tx = store.getTx(Number(seqText));
  // One allocation per response: frame heads and metas first, then each segment's data read straight into place.
  const frames = indices.map((index) => {
    const stored = tx && index < numSegments(tx.size) ? store.storedSegment(tx, index) : undefined;
    const meta = stored
      ? {
          index,
          found: true,
          root: bytesToHex(tx!.dataMerkleRoot),
          fileSize: tx!.size,
          proof: fileProofToJSON(stored.proof),
          length: stored.length,
        }
      : { index, found: false };
    return { stored, meta: Buffer.from(JSON.stringify(meta), "utf8") };
  });
  const total = frames.reduce((n, f) => n + 4 + f.meta.length + (f.stored?.length ?? 0), 0);
  const { bytes: body, release } = pool.take(total);
  let off = 0;
  for (const f of frames) {
    off = body.writeUInt32BE(f.meta.length, off);
    off += f.meta.copy(body, off);
    if (f.stored) {
      f.stored.readInto(body, off);
      off += f.stored.length;
    }
  }
  return { contentType: SEGMENTS_CONTENT_TYPE, body, onSent: release };
}

function badRequest(message: string): HttpRouteResponse {
  return { status: 400, body: `${message}\n` };
}
