import { ComputeError, ComputeErrorCode } from "../errors.js";

/**
 * The `.zgw` weights file: `"ZGW\n"`, u32 version, u32 header length, the header (UTF-8 JSON), zero padding to a
 * multiple of 8, then the tensors, raw little-endian integers, each at the 8-aligned offset its header entry gives
 * (from the start of the data). The file ends exactly at the end of the data: anything shorter or longer is refused.
 */
export const WEIGHTS_MAGIC = Uint8Array.of(0x5a, 0x47, 0x57, 0x0a);
export const WEIGHTS_VERSION = 1;

export type Tensor = Int8Array | Int16Array | Int32Array;
export type TensorDType = "i8" | "i16" | "i32";

export interface TensorEntry {
  name: string;
  dtype: TensorDType;
  shape: number[];
  offset: number;
}

export interface WeightsHeader {
  /** Everything but the tensor directory: the model's name, config, and how it was trained. */
  [key: string]: unknown;
  tensors: TensorEntry[];
  dataBytes: number;
}

const SIZE: Record<TensorDType, number> = { i8: 1, i16: 2, i32: 4 };

function dtypeOf(t: Tensor): TensorDType {
  return t instanceof Int8Array ? "i8" : t instanceof Int16Array ? "i16" : "i32";
}

const align8 = (n: number): number => (n + 7) & ~7;

export function encodeWeights(
  meta: Record<string, unknown>,
  tensors: ReadonlyArray<{ name: string; shape: number[]; data: Tensor }>,
): Uint8Array {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of tensors) {
    entries.push({ name: t.name, dtype: dtypeOf(t.data), shape: t.shape, offset });
    offset = align8(offset + t.data.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({ ...meta, tensors: entries, dataBytes: offset }));
  const dataStart = align8(12 + header.length);
  const out = new Uint8Array(dataStart + offset);
  const view = new DataView(out.buffer);
  out.set(WEIGHTS_MAGIC, 0);
  view.setUint32(4, WEIGHTS_VERSION, true);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  for (const [k, t] of tensors.entries()) {
    const at = dataStart + entries[k]!.offset;
    const size = SIZE[entries[k]!.dtype];
    if (size === 1) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length), at);
    else
      for (let i = 0; i < t.data.length; i++) {
        if (size === 2) view.setInt16(at + 2 * i, t.data[i]!, true);
        else view.setInt32(at + 4 * i, t.data[i]!, true);
      }
  }
  return out;
}

export interface DecodedWeights {
  header: WeightsHeader;
  tensors: Map<string, Tensor>;
}

export function decodeWeights(bytes: Uint8Array): DecodedWeights {
  if (bytes.length < 12 || !WEIGHTS_MAGIC.every((b, i) => bytes[i] === b)) bad("not a .zgw weights file (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== WEIGHTS_VERSION) bad(`unsupported .zgw version ${version} (this runtime reads ${WEIGHTS_VERSION})`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) bad("truncated: the header runs past the end of the file");
  let header: WeightsHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + headerLength))) as WeightsHeader;
  } catch {
    return bad("the header is not valid UTF-8 JSON");
  }
  if (typeof header !== "object" || header === null || !Array.isArray(header.tensors) || !Number.isSafeInteger(header.dataBytes))
    bad("the header has no tensor directory");
  const dataStart = align8(12 + headerLength);
  if (bytes.length !== dataStart + header.dataBytes)
    bad(
      `${bytes.length < dataStart + header.dataBytes ? "truncated" : "trailing bytes"}: ${bytes.length} bytes, expected ${dataStart + header.dataBytes}`,
    );
  const tensors = new Map<string, Tensor>();
  for (const e of header.tensors) {
    const size = SIZE[e.dtype];
    if (size === undefined || !Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      bad(`tensor ${String(e.name)}: bad dtype or shape`);
    const length = e.shape.reduce((a, d) => a * d, 1);
    if (!Number.isSafeInteger(e.offset) || e.offset < 0 || e.offset % 8 !== 0 || e.offset + length * size > header.dataBytes)
      bad(`tensor ${e.name}: out of bounds`);
    const at = dataStart + e.offset;
    if (size === 1) {
      tensors.set(e.name, new Int8Array(bytes.subarray(at, at + length)));
      continue;
    }
    // Through a DataView: the file is little-endian whatever the machine's byte order.
    const data = size === 2 ? new Int16Array(length) : new Int32Array(length);
    for (let i = 0; i < length; i++) data[i] = size === 2 ? view.getInt16(at + 2 * i, true) : view.getInt32(at + 4 * i, true);
    tensors.set(e.name, data);
  }
  return { header, tensors };
}

export function bad(detail: string): never {
  throw new ComputeError({ code: ComputeErrorCode.BAD_WEIGHTS, detail }, `bad weights: ${detail}`);
}
