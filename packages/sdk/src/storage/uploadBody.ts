import { fileProofToJSON } from "@zerog/core/merkle";
import { allocBytes, base64Length, writeASCII, writeBase64 } from "./base64.js";
import type { SegmentWithProof } from "./types.js";

/**
 * The JSON-RPC request `method([segments], txSeq)` as bytes, written in one buffer: segment data goes straight from
 * bytes to base64 text inside the body, with no JSON.stringify of megabyte strings and no re-encoding by fetch.
 * Everything but the data is ASCII (hex, digits, booleans), so string length is byte length.
 */
export function encodeSegmentsRequest(id: number, method: string, segments: readonly SegmentWithProof[], txSeq: number | null): Uint8Array {
  const head = `{"jsonrpc":"2.0","id":${id},"method":"${method}","params":[[`;
  const foot = txSeq === null ? "]]}" : `],${txSeq}]}`;
  const parts = segments.map((s) => ({
    open: `{"root":"${s.root}","data":"`,
    data: s.data,
    close: `","index":${s.index},"proof":${JSON.stringify(fileProofToJSON(s.proof))},"fileSize":${s.fileSize}}`,
  }));
  let size = head.length + foot.length + Math.max(0, parts.length - 1);
  for (const p of parts) size += p.open.length + base64Length(p.data.length) + p.close.length;
  const out = allocBytes(size);
  let o = writeASCII(head, out, 0);
  parts.forEach((p, k) => {
    if (k > 0) o = writeASCII(",", out, o);
    o = writeASCII(p.open, out, o);
    o = writeBase64(p.data, out, o);
    o = writeASCII(p.close, out, o);
  });
  writeASCII(foot, out, o);
  return out;
}
