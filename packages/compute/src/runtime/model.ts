import {
  contextFeatures,
  createFeatureScratch,
  emaWeights,
  type FeatureScratch,
  type ModelConfig,
  type TableLayout,
  tableLayout,
  WEIGHT_SHIFT,
} from "./features.js";
import { ACT_ONE, buildExpTable, buildTanhTable, EXP_ONE, requant, roundShift } from "./fixedPoint.js";
import { VOCAB_OUT } from "./tokens.js";
import { bad, decodeWeights, type Tensor } from "./weightsFile.js";

/**
 * The model in integers. Hidden layer 0 is a weighted sum of table rows (int8, one int16 multiplier per row, int32
 * accumulator in units of 2^-(actFrac + acc0Shift)); layer 1 and the output are int8 matrices times int8
 * activations with an int32 accumulator, brought to the next unit by a per-row multiplier and shift.
 */
export interface IntModel {
  name: string;
  /** sha256 of the weights file, hex. */
  sha256: string;
  /** The weights file it was made from (worker threads and re-executing verifiers load the same bytes). */
  weights: Uint8Array;
  config: ModelConfig;
  layout: TableLayout;
  meta: Record<string, unknown>;
  acc0Shift: number;
  table: Int8Array;
  tableM: Int16Array;
  b0: Int32Array;
  w1: Int8Array;
  w1M: Int32Array;
  w1S: Int32Array;
  b1: Int32Array;
  wo: Int8Array;
  woM: Int32Array;
  woS: Int32Array;
  bo: Int32Array;
  /** round(127·tanh(i·2^-actFrac)), index i + actRange·2^actFrac. */
  tanh: Int8Array;
  /** round(2^16·exp(-i·2^-logitFrac)) until it reaches 0. */
  exp: Int32Array;
}

/** The model in a `.zgw` file's bytes; `sha256` (hex) is recorded, not checked here (`loadModel.ts` checks it). */
export function createModel(weights: Uint8Array, sha256: string): IntModel {
  const decoded = decodeWeights(weights);
  const meta = decoded.header;
  const c = meta.config as ModelConfig | undefined;
  const int = (v: unknown, lo: number, hi: number): boolean => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;
  if (
    typeof c !== "object" ||
    c === null ||
    c.arch !== "zg-byte-mlp" ||
    !int(c.hidden, 1, 4096) ||
    !int(c.positions, 1, 64) ||
    !Array.isArray(c.ngrams) ||
    !c.ngrams.every((o) => int(o, 2, 64)) ||
    !int(c.hashBuckets, 1, 1 << 24) ||
    (c.hashBuckets & (c.hashBuckets - 1)) !== 0 ||
    !int(c.emaWindow, 0, 4096) ||
    !int(c.emaShift, 1, 14) ||
    !int(c.actFrac, 1, 12) ||
    !int(c.actRange, 1, 16) ||
    !int(c.logitFrac, 0, 16) ||
    !int(meta.acc0Shift, 0, 30) ||
    typeof meta.name !== "string"
  )
    bad("the header's config is missing or out of range");
  const layout = tableLayout(c);
  const H = c.hidden;
  const get = <T extends Tensor>(name: string, kind: new (n: number) => T, length: number): T => {
    const t = decoded.tensors.get(name);
    if (!(t instanceof kind) || t.length !== length) bad(`tensor ${name}: missing or of the wrong type or size`);
    return t as T;
  };
  const m: IntModel = {
    name: meta.name as string,
    sha256,
    weights,
    config: c,
    layout,
    meta,
    acc0Shift: meta.acc0Shift as number,
    table: get("table.q", Int8Array, layout.rows * H),
    tableM: get("table.m", Int16Array, layout.rows),
    b0: get("b0", Int32Array, H),
    w1: get("w1.q", Int8Array, H * H),
    w1M: get("w1.m", Int32Array, H),
    w1S: get("w1.s", Int32Array, H),
    b1: get("b1", Int32Array, H),
    wo: get("wo.q", Int8Array, VOCAB_OUT * H),
    woM: get("wo.m", Int32Array, VOCAB_OUT),
    woS: get("wo.s", Int32Array, VOCAB_OUT),
    bo: get("bo", Int32Array, VOCAB_OUT),
    tanh: buildTanhTable(c.actFrac, c.actRange),
    exp: buildExpTable(c.logitFrac, EXP_ONE, 64 << c.logitFrac),
  };
  checkBounds(m);
  return m;
}

const maxAbs = (a: ArrayLike<number>, from = 0, to = a.length): number => {
  let v = 0;
  for (let i = from; i < to; i++) v = Math.max(v, Math.abs(a[i]!));
  return v;
};

/**
 * Refuses weights whose worst case would leave int32 anywhere, so the hot loops never need a wide accumulator: the
 * table sum stays below 2^30 (its rounding shift adds up to 2^29), dense sums below 2^31, logits below 2^30.
 */
function checkBounds(m: IntModel): void {
  const { config: c, layout: l } = m;
  if (m.tableM.some((v) => v < 0)) bad("negative row multiplier");
  for (const [ms, ss] of [
    [m.w1M, m.w1S],
    [m.woM, m.woS],
  ] as const)
    if (ms.some((v) => v < 0 || v >= 1 << 16) || ss.some((v) => v < 1 || v > 52)) bad("requantisation multiplier or shift out of range");
  const emaTotal = emaWeights(c).reduce((a, w) => a + w, 0);
  const rowsMax =
    c.positions * maxAbs(m.tableM, l.pos, l.gram) +
    c.ngrams.length * maxAbs(m.tableM, l.gram, l.ema) +
    Math.ceil((maxAbs(m.tableM, l.ema, l.turn) * emaTotal) / 2 ** WEIGHT_SHIFT) +
    (l.turn - l.ema) +
    maxAbs(m.tableM, l.turn, l.column) +
    maxAbs(m.tableM, l.column, l.rows);
  // An int8 may be -128 in a file even though the quantiser writes ±127.
  const dense = 128 * ACT_ONE * c.hidden;
  if (128 * rowsMax + maxAbs(m.b0) >= 2 ** 30 || dense + maxAbs(m.b1) >= 2 ** 31) bad("an accumulator could leave int32");
  for (let k = 0; k < VOCAB_OUT; k++)
    if (dense + Math.abs(m.bo[k]!) >= 2 ** 31 || ((dense + Math.abs(m.bo[k]!)) * m.woM[k]!) / 2 ** m.woS[k]! >= 2 ** 30)
      bad("a logit could leave int32");
}

export interface ForwardScratch {
  features: FeatureScratch;
  rows: Int32Array;
  weights: Int32Array;
  acc: Int32Array;
  a0: Int32Array;
  a1: Int32Array;
  logits: Int32Array;
}

export function createForwardScratch(m: IntModel): ForwardScratch {
  const H = m.config.hidden;
  return {
    features: createFeatureScratch(m.config),
    rows: new Int32Array(m.layout.maxFeatures),
    weights: new Int32Array(m.layout.maxFeatures),
    acc: new Int32Array(H),
    a0: new Int32Array(H),
    a1: new Int32Array(H),
    logits: new Int32Array(VOCAB_OUT),
  };
}

/** Integer logits (units of 2^-logitFrac nats) of token `t` given `tokens[0..t)`, written to `s.logits`. */
export function forward(m: IntModel, s: ForwardScratch, tokens: ArrayLike<number>, t: number): Int32Array {
  const H = m.config.hidden;
  const n = contextFeatures(m.config, m.layout, tokens, t, s.features, s.rows, s.weights);
  const { acc, a0, a1 } = s;
  const { table, tanh } = m;
  acc.set(m.b0);
  for (let f = 0; f < n; f++) {
    const row = s.rows[f]!;
    const w = s.weights[f]!;
    const mult = requant(w, m.tableM[row]!, WEIGHT_SHIFT);
    if (mult === 0) continue;
    for (let i = 0, at = row * H; i < H; i++, at++) acc[i]! += table[at]! * mult;
  }
  const top = m.config.actRange << m.config.actFrac;
  for (let i = 0; i < H; i++) a0[i] = tanh[clamp(roundShift(acc[i]!, m.acc0Shift), top) + top]!;
  for (let i = 0, at = 0; i < H; i++) {
    let sum = 0;
    for (let j = 0; j < H; j++, at++) sum += m.w1[at]! * a0[j]!;
    a1[i] = tanh[clamp(requant(sum + m.b1[i]!, m.w1M[i]!, m.w1S[i]!), top) + top]!;
  }
  for (let k = 0, at = 0; k < VOCAB_OUT; k++) {
    let sum = 0;
    for (let j = 0; j < H; j++, at++) sum += m.wo[at]! * a1[j]!;
    s.logits[k] = requant(sum + m.bo[k]!, m.woM[k]!, m.woS[k]!);
  }
  return s.logits;
}

function clamp(v: number, top: number): number {
  return v > top ? top : v < -top ? -top : v;
}
