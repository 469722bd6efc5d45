import { ComputeError, ComputeErrorCode } from "../errors.js";
import { type ModelConfig, tableLayout } from "./features.js";
import { ACT_ONE } from "./fixedPoint.js";
import { VOCAB_OUT } from "./tokens.js";
import { encodeWeights } from "./weightsFile.js";

/** A trained model in floats, as the training script holds it (row-major matrices, rows = outputs). */
export interface FloatModel {
  name: string;
  config: ModelConfig;
  /** `tableLayout(config).rows × hidden`. */
  table: Float32Array;
  b0: Float32Array;
  /** hidden × hidden. */
  w1: Float32Array;
  b1: Float32Array;
  /** VOCAB_OUT × hidden. */
  wo: Float32Array;
  bo: Float32Array;
}

const ROW_MULT_MAX = 32767;

/**
 * Offline, not on the inference path (floats allowed): int8 per-row quantisation, the table's rows sharing one
 * power-of-two accumulator unit so that reading the activation table is a shift; dense rows get a multiplier in
 * [2^14, 2^15) and a shift. Returns the `.zgw` file bytes; `meta` is stored in the header (training record).
 */
export function quantizeModel(f: FloatModel, meta: Record<string, unknown> = {}): Uint8Array {
  const c = f.config;
  const H = c.hidden;
  const rows = tableLayout(c).rows;
  let maxRow = 0;
  for (const v of f.table) maxRow = Math.max(maxRow, Math.abs(v));
  const acc0Shift =
    maxRow === 0 ? 0 : Math.max(0, Math.min(30, Math.floor(Math.log2((ROW_MULT_MAX * ACT_ONE) / (maxRow * 2 ** c.actFrac)))));
  const unit = 2 ** (c.actFrac + acc0Shift);
  const tableQ = new Int8Array(rows * H);
  const tableM = new Int16Array(rows);
  for (let r = 0; r < rows; r++) {
    let mx = 0;
    for (let i = 0; i < H; i++) mx = Math.max(mx, Math.abs(f.table[r * H + i]!));
    if (mx === 0) continue;
    const m = Math.max(1, Math.min(ROW_MULT_MAX, Math.round((mx / 127) * unit)));
    tableM[r] = m;
    for (let i = 0; i < H; i++) tableQ[r * H + i] = clamp127(Math.round((f.table[r * H + i]! * unit) / m));
  }
  const b0 = Int32Array.from(f.b0, (v) => Math.round(v * unit));
  const l1 = quantizeDense(f.w1, f.b1, H, H, c.actFrac);
  const lo = quantizeDense(f.wo, f.bo, VOCAB_OUT, H, c.logitFrac);
  return encodeWeights({ name: f.name, runtime: "zerog-int-v1", config: c, acc0Shift, ...meta }, [
    { name: "table.q", shape: [rows, H], data: tableQ },
    { name: "table.m", shape: [rows], data: tableM },
    { name: "b0", shape: [H], data: b0 },
    { name: "w1.q", shape: [H, H], data: l1.q },
    { name: "w1.m", shape: [H], data: l1.m },
    { name: "w1.s", shape: [H], data: l1.s },
    { name: "b1", shape: [H], data: l1.b },
    { name: "wo.q", shape: [VOCAB_OUT, H], data: lo.q },
    { name: "wo.m", shape: [VOCAB_OUT], data: lo.m },
    { name: "wo.s", shape: [VOCAB_OUT], data: lo.s },
    { name: "bo", shape: [VOCAB_OUT], data: lo.b },
  ]);
}

/** Rows of `w` (out × inp) to int8; output units 2^-outFrac from inputs in units 1/ACT_ONE. */
function quantizeDense(w: Float32Array, b: Float32Array, out: number, inp: number, outFrac: number) {
  const q = new Int8Array(out * inp);
  const m = new Int32Array(out);
  const s = new Int32Array(out);
  const bq = new Int32Array(out);
  for (let r = 0; r < out; r++) {
    let mx = 0;
    for (let i = 0; i < inp; i++) mx = Math.max(mx, Math.abs(w[r * inp + i]!));
    const scale = mx === 0 ? 2 ** -20 : mx / 127;
    for (let i = 0; i < inp; i++) q[r * inp + i] = clamp127(Math.round(w[r * inp + i]! / scale));
    // One unit of the accumulator is scale/ACT_ONE; in output units that is `factor` = mult · 2^-shift.
    const factor = (scale / ACT_ONE) * 2 ** outFrac;
    let shift = 14 - Math.floor(Math.log2(factor));
    let mult = Math.round(factor * 2 ** shift);
    if (mult >= 1 << 15) {
      shift -= 1;
      mult = Math.round(factor * 2 ** shift);
    }
    if (shift > 52) {
      shift = 52;
      mult = Math.round(factor * 2 ** 52);
    }
    if (shift < 1) throw new ComputeError({ code: ComputeErrorCode.BAD_WEIGHTS, detail: "a dense row is too large to quantise" });
    m[r] = mult;
    s[r] = shift;
    bq[r] = Math.max(-(2 ** 30), Math.min(2 ** 30, Math.round((b[r]! * ACT_ONE) / scale)));
  }
  return { q, m, s, b: bq };
}

function clamp127(v: number): number {
  return v > 127 ? 127 : v < -127 ? -127 : v;
}
