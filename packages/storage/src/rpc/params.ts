import { hexToBytes, ParamError, type ParamSchema, p } from "@zerog/core";
import { fileProofFromJSON } from "@zerog/core/merkle";
import type { SegmentWithProof } from "../flow/segment.js";

/**
 * Standard base64 with padding, as 0G's node (serde `base64::decode`) accepts it. Node's decoder skips or stops at
 * characters outside the alphabet, so any of them shows up as a length mismatch (a regex over the string costs ten
 * times the decoding: ~1 ms per segment).
 */
export function decodeBase64(s: string): Uint8Array {
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const out = Buffer.from(s, "base64");
  if (s.length % 4 !== 0 || out.length !== (s.length / 4) * 3 - pad || s.includes("-") || s.includes("_"))
    throw new ParamError("invalid base64 data");
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const u64 = () => p.number({ integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });

const segmentFields = p.object({
  root: p.hash(),
  data: p.string(),
  index: u64(),
  proof: p.custom("proof", (v) => v),
  fileSize: u64(),
});

/** A `SegmentWithProof` param, decoded. */
export const segmentParam = (): ParamSchema<SegmentWithProof> =>
  p.custom("SegmentWithProof", (v) => {
    const s = segmentFields.parse(v);
    let proof: SegmentWithProof["proof"];
    try {
      proof = fileProofFromJSON(s.proof);
    } catch (e) {
      throw new ParamError(`invalid proof: ${(e as Error).message}`, ["proof"]);
    }
    let data: Uint8Array;
    try {
      data = decodeBase64(s.data);
    } catch (e) {
      throw (e as ParamError).within("data");
    }
    return { root: hexToBytes(s.root), data, index: s.index, proof, fileSize: s.fileSize };
  });

export const txSeqParam = u64;
export const indexParam = u64;
