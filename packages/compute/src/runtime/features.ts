import { PAD, VOCAB_IN } from "./tokens.js";

/** The architecture and sizes of a model, as stored in its weights file's header. */
export interface ModelConfig {
  arch: "zg-byte-mlp";
  /** Width of both hidden layers. */
  hidden: number;
  /** The last `positions` tokens each select a row of their own table (token × distance). */
  positions: number;
  /** Orders of the hashed n-grams of the last tokens (each selects one row of the shared hash table). */
  ngrams: number[];
  /** Rows of the n-gram hash table (a power of two). */
  hashBuckets: number;
  /** The last `emaWindow` tokens are summed into one row with weights (1 − 2^-emaShift)^distance. */
  emaWindow: number;
  emaShift: number;
  /** The activation table's step is 2^-actFrac and it covers [-actRange, actRange]. */
  actFrac: number;
  actRange: number;
  /** Logits are integers in units of 2^-logitFrac nats. */
  logitFrac: number;
}

/** A feature's weight is an integer over WEIGHT_ONE; ordinary features weigh exactly WEIGHT_ONE. */
export const WEIGHT_SHIFT = 15;
export const WEIGHT_ONE = 1 << WEIGHT_SHIFT;
/** Turn feature: the last special token (none, end-of-text, system, user, assistant) × log2 of its distance. */
const TURN_ROLES = 5;
const TURN_DISTANCES = 8;
const TURN_SCAN = 2048;
/** Column feature: bytes since the last newline or special token, in buckets of 4 up to 127. */
const COLUMN_BUCKETS = 32;
const COLUMN_SCAN = 128;

export interface TableLayout {
  pos: number;
  gram: number;
  ema: number;
  turn: number;
  column: number;
  rows: number;
  /** Most features one position can have (the EMA merges repeated tokens into one row). */
  maxFeatures: number;
}

export function tableLayout(c: ModelConfig): TableLayout {
  const pos = 0;
  const gram = pos + c.positions * VOCAB_IN;
  const ema = gram + c.hashBuckets;
  const turn = ema + VOCAB_IN;
  const column = turn + TURN_ROLES * TURN_DISTANCES;
  const rows = column + COLUMN_BUCKETS;
  return { pos, gram, ema, turn, column, rows, maxFeatures: c.positions + c.ngrams.length + Math.min(c.emaWindow, VOCAB_IN) + 2 };
}

/** Integer weights of the EMA window: w_0 = WEIGHT_ONE, w_{j+1} = w_j − ⌊w_j / 2^emaShift⌋. */
export function emaWeights(c: ModelConfig): Int32Array {
  const w = new Int32Array(c.emaWindow);
  let v = WEIGHT_ONE;
  for (let j = 0; j < c.emaWindow; j++, v -= v >> c.emaShift) w[j] = v;
  return w;
}

/** FNV-1a over the `order` tokens before `t`, the order mixed into the seed, then a final avalanche. */
export function ngramHash(tokens: ArrayLike<number>, t: number, order: number): number {
  let h = 0x811c9dc5 ^ Math.imul(order, 0x9e3779b1);
  for (let i = t - order; i < t; i++) h = Math.imul(h ^ (i < 0 ? PAD : tokens[i]!), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Scratch for `contextFeatures`: per-token EMA weight sums (reset after each call). */
export interface FeatureScratch {
  emaSum: Int32Array;
  emaW: Int32Array;
}

export function createFeatureScratch(c: ModelConfig): FeatureScratch {
  return { emaSum: new Int32Array(VOCAB_IN), emaW: emaWeights(c) };
}

/**
 * The table rows (and integer weights) that predict token `t` from `tokens[0..t)`; tokens before 0 read as PAD.
 * Writes `rows`/`weights` (at least `maxFeatures` long) and returns how many it wrote. A pure function of the last
 * tokens: training (Float32) and inference (integers) call this same code.
 */
export function contextFeatures(
  c: ModelConfig,
  layout: TableLayout,
  tokens: ArrayLike<number>,
  t: number,
  s: FeatureScratch,
  rows: Int32Array,
  weights: Int32Array,
): number {
  const tok = (i: number): number => (i < 0 ? PAD : tokens[i]!);
  let n = 0;
  for (let j = 0; j < c.positions; j++, n++) {
    rows[n] = layout.pos + j * VOCAB_IN + tok(t - 1 - j);
    weights[n] = WEIGHT_ONE;
  }
  for (const order of c.ngrams) {
    rows[n] = layout.gram + (ngramHash(tokens, t, order) & (c.hashBuckets - 1));
    weights[n++] = WEIGHT_ONE;
  }
  // Repeated tokens in the window merge into one row: fewer lookups, and the order of the rows is first appearance.
  const first = n;
  for (let j = 0; j < c.emaWindow; j++) {
    const x = tok(t - 1 - j);
    if (s.emaSum[x] === 0) rows[n++] = x;
    s.emaSum[x]! += s.emaW[j]!;
  }
  for (let k = first; k < n; k++) {
    const x = rows[k]!;
    weights[k] = s.emaSum[x]!;
    s.emaSum[x] = 0;
    rows[k] = layout.ema + x;
  }
  let i = t - 1;
  while (i >= 0 && i > t - 1 - TURN_SCAN && tokens[i]! < 256) i--;
  const special = i < 0 ? PAD : tokens[i]!;
  const role = t - i > TURN_SCAN ? 0 : special - 255;
  rows[n] = layout.turn + role * TURN_DISTANCES + Math.min(TURN_DISTANCES - 1, 31 - Math.clz32(t - i));
  weights[n++] = WEIGHT_ONE;
  let col = 0;
  while (col < COLUMN_SCAN && t - 1 - col >= 0 && tokens[t - 1 - col]! !== 10 && tokens[t - 1 - col]! < 256) col++;
  rows[n] = layout.column + (Math.min(col, COLUMN_SCAN - 1) >> 2);
  weights[n++] = WEIGHT_ONE;
  return n;
}
