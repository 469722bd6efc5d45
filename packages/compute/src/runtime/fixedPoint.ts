/**
 * Integer arithmetic of the runtime. Every value on the inference path is an integer; JavaScript holds them in
 * doubles, which is exact for integers below 2^53 (IEEE 754 rounds nothing there, on any machine or Node version).
 * Hot loops stay inside int32 (bounds checked when weights load, `model.ts`); the few wider products go through
 * `requant`, whose bound is 2^47. The lookup tables are computed with BigInt from first principles, not from
 * `Math.exp`/`Math.tanh`, whose last bit the ECMAScript spec leaves to the implementation.
 */

/** Output scale of the activation table: `tanh(x)` is stored as `round(ACT_ONE · tanh(x))`, an int8. */
export const ACT_ONE = 127;
/** Output scale of the exponential table: `exp(-x)` is stored as `round(EXP_ONE · exp(-x))`. */
export const EXP_ONE = 1 << 16;

const PRECISION = 160n;
const ONE = 1n << PRECISION;

/** `round(acc · mult / 2^shift)`, halves rounded up. Exact for |acc| < 2^31, 0 ≤ mult < 2^16, 1 ≤ shift ≤ 52. */
export function requant(acc: number, mult: number, shift: number): number {
  return Math.floor((acc * mult + POW2[shift - 1]!) / POW2[shift]!);
}

/** `round(x / 2^shift)` for an int32 `x`, halves rounded up (an arithmetic shift). */
export function roundShift(x: number, shift: number): number {
  return shift === 0 ? x : (x + (1 << (shift - 1))) >> shift;
}

const POW2: readonly number[] = Array.from({ length: 54 }, (_, k) => 2 ** k);

/** exp(-2^-k) in fixed point with PRECISION fractional bits (Taylor series; terms shrink by 2^-k/n each). */
function expNegPow2(k: number): bigint {
  let sum = 0n;
  let term = ONE;
  for (let n = 1n; term !== 0n; n++) {
    sum += n % 2n === 1n ? term : -term;
    term = (term >> BigInt(k)) / n;
  }
  return sum;
}

/** `round(scale · exp(-i · 2^-k))` for i = 0 … until it reaches 0 (or `maxLength` entries). */
export function buildExpTable(k: number, scale: number, maxLength: number): Int32Array {
  const r = expNegPow2(k);
  const out: number[] = [];
  const s = BigInt(scale);
  for (let p = ONE; out.length < maxLength; p = (p * r) >> PRECISION) {
    const v = Number((p * s + (ONE >> 1n)) >> PRECISION);
    if (v === 0) break;
    out.push(v);
  }
  return Int32Array.from(out);
}

/**
 * `round(ACT_ONE · tanh(i · 2^-frac))` for i = -n … n (index i + n), n = range · 2^frac. Uses
 * tanh(x) = (1 − e^{−2x}) / (1 + e^{−2x}), with e^{−2x} = (e^{−2^{1−frac}})^i.
 */
export function buildTanhTable(frac: number, range: number): Int8Array {
  const n = range << frac;
  const q = expNegPow2(frac - 1);
  const out = new Int8Array(2 * n + 1);
  const a = BigInt(ACT_ONE);
  for (let i = 0, p = ONE; i <= n; i++, p = (p * q) >> PRECISION) {
    const num = a * (ONE - p);
    const den = ONE + p;
    const v = Number((2n * num + den) / (2n * den));
    out[n + i] = v;
    out[n - i] = -v;
  }
  return out;
}
