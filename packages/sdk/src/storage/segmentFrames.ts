import { StorageClientError } from "./errors.js";
import type { SegmentWithProof } from "./types.js";

/** Frames of the binary segments route (`storage/src/rpc/segmentsRoute.ts`), one per asked index, in order. */
export function decodeSegmentFrames(
  bytes: Uint8Array,
  indices: readonly number[],
  decode: (r: unknown) => SegmentWithProof | null,
  bad: (why: string) => StorageClientError,
): (SegmentWithProof | null | StorageClientError)[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (SegmentWithProof | null | StorageClientError)[] = [];
  let off = 0;
  for (const index of indices) {
    if (off + 4 > bytes.length) return [...out, ...indices.slice(out.length).map(() => bad("the segment frames end early"))];
    const metaEnd = off + 4 + view.getUint32(off);
    let meta: { index?: unknown; found?: unknown; length?: unknown };
    try {
      if (metaEnd > bytes.length) throw new RangeError("meta past the end");
      meta = JSON.parse(frameText.decode(bytes.subarray(off + 4, metaEnd))) as typeof meta;
    } catch {
      return [...out, ...indices.slice(out.length).map(() => bad(`segment ${index}'s frame is not JSON`))];
    }
    const length = meta.found === true ? meta.length : 0;
    if (meta.index !== index || !Number.isSafeInteger(length) || (length as number) < 0 || metaEnd + (length as number) > bytes.length)
      return [...out, ...indices.slice(out.length).map(() => bad(`segment ${index}'s frame does not match the request`))];
    off = metaEnd + (length as number);
    if (meta.found !== true) {
      out.push(null);
      continue;
    }
    try {
      out.push(decode({ ...meta, data: bytes.subarray(metaEnd, off) }));
    } catch (e) {
      if (!(e instanceof StorageClientError)) throw e;
      out.push(e);
    }
  }
  return off === bytes.length ? out : indices.map(() => bad("the segment frames have trailing bytes"));
}

const frameText = new TextDecoder();
/** Content type of the binary segments route; anything else means the node does not serve it. */
export const SEGMENTS_CONTENT_TYPE = "application/vnd.zerog.segments";
