import type { IntModel } from "./model.js";
import { VOCAB_OUT } from "./tokens.js";

/**
 * sfc32 (Chris Doty-Humphrey's small fast counter), 32-bit integer operations only. The request's `seed` (any safe
 * integer, as int64 two's complement) fills the state; 12 warm-up rounds mix it.
 */
export function createRandom(seed: number): () => number {
  const big = BigInt.asUintN(64, BigInt(seed));
  let a = Number(big & 0xffffffffn) | 0;
  let b = Number(big >> 32n) | 0;
  let c = 0x9e3779b9 | 0;
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** The highest logit; the lowest token among equals. */
export function argmax(logits: Int32Array): number {
  let best = 0;
  for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[best]!) best = k;
  return best;
}

/**
 * Samples from softmax(logits / T) in integers: weight_k = EXP[⌊(max − logit_k) · 1000 / T_milli⌋] (2^16 at the top,
 * 0 beyond ~11 nats), optionally cut to the smallest most-probable set holding `topPMilli`/1000 of the weight,
 * then a 24-bit random number picks a token by cumulative weight.
 */
export function createSampler(model: IntModel, temperatureMilli: number, topPMilli: number, seed: number): (logits: Int32Array) => number {
  const random = createRandom(seed);
  const weights = new Int32Array(VOCAB_OUT);
  const order: number[] = [];
  const { exp } = model;
  return (logits) => {
    let max = logits[0]!;
    for (let k = 1; k < logits.length; k++) if (logits[k]! > max) max = logits[k]!;
    let total = 0;
    for (let k = 0; k < logits.length; k++) {
      // (max − logit) ≤ 2^20 and T_milli ≤ 2000: the quotient is exact in a double, so ⌊·⌋ is the integer quotient.
      const idx = Math.floor((Math.min(max - logits[k]!, 1 << 20) * 1000) / temperatureMilli);
      const w = idx < exp.length ? exp[idx]! : 0;
      weights[k] = w;
      total += w;
    }
    if (topPMilli < 1000) total = keepTopP(weights, total, topPMilli, order);
    // total < 2^25 and r < 2^24: the product is exact, and dividing by 2^24 is exact.
    let target = Math.floor(((random() >>> 8) * total) / 16777216);
    for (let k = 0; k < weights.length; k++) {
      if (target < weights[k]!) return k;
      target -= weights[k]!;
    }
    return argmax(logits);
  };
}

/** Zeroes every weight outside the smallest set (by weight, then token) whose sum reaches topPMilli/1000 of total. */
function keepTopP(weights: Int32Array, total: number, topPMilli: number, order: number[]): number {
  order.length = 0;
  for (let k = 0; k < weights.length; k++) if (weights[k]! > 0) order.push(k);
  order.sort((x, y) => weights[y]! - weights[x]! || x - y);
  let kept = 0;
  let n = 0;
  while (n < order.length && kept * 1000 < topPMilli * total) kept += weights[order[n++]!]!;
  for (let i = n; i < order.length; i++) weights[order[i]!] = 0;
  return kept;
}
