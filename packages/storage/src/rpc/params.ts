import { hexToBytes, ParamError, type ParamSchema, p } from "@zerog/core";
import { fileProofFromJSON } from "@zerog/core/merkle";
import type { SegmentWithProof } from "../flow/segment.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding, as 0G's node (serde `base64::decode`) accepts it. */
export function decodeBase64(s: string): Uint8Array {
  if (!BASE64.test(s)) throw new ParamError("invalid base64 data");
  return new Uint8Array(Buffer.from(s, "base64"));
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
