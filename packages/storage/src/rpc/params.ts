import { hexToBytes, ParamError, type ParamSchema, p, RawJSONString } from "@zerog/core";
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

/** Base64 input per piece: a multiple of 4 whose string (64 KiB) stays out of V8's large-object space. */
const BASE64_PIECE = 65536;

/** `decodeBase64` of a string that came as its bytes (`RawJSONString`), decoded piece by piece into one buffer. */
export function decodeBase64Bytes(b: Uint8Array): Uint8Array {
  const n = b.length;
  const pad = n >= 2 && b[n - 1] === 0x3d ? (b[n - 2] === 0x3d ? 2 : 1) : 0;
  const want = (n / 4) * 3 - pad;
  const src = Buffer.from(b.buffer, b.byteOffset, n);
  if (n % 4 !== 0 || src.includes(0x2d) || src.includes(0x5f)) throw new ParamError("invalid base64 data");
  const out = Buffer.allocUnsafe(want);
  let got = 0;
  for (let a = 0; a < n && got <= want; a += BASE64_PIECE) {
    const piece = src.toString("latin1", a, Math.min(a + BASE64_PIECE, n));
    // A short write (a character outside the alphabet, padding inside) leaves `got` short of `want`.
    got += out.write(piece, got, "base64");
  }
  if (got !== want) throw new ParamError("invalid base64 data");
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const base64Data = (): ParamSchema<string | RawJSONString> =>
  p.custom("base64 string", (v) => {
    if (v instanceof RawJSONString || typeof v === "string") return v;
    throw new ParamError(`expected string, got ${v === null ? "null" : Array.isArray(v) ? "array" : typeof v}`);
  });

const u64 = () => p.number({ integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });

const segmentFields = p.object({
  root: p.hash(),
  data: base64Data(),
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
      data = typeof s.data === "string" ? decodeBase64(s.data) : decodeBase64Bytes(s.data.bytes);
    } catch (e) {
      throw (e as ParamError).within("data");
    }
    return { root: hexToBytes(s.root), data, index: s.index, proof, fileSize: s.fileSize };
  });

export const txSeqParam = u64;
export const indexParam = u64;
