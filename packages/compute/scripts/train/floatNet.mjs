// The built-in model in floats, for training: the same features as the integer runtime (contextFeatures), a sum of
// table rows, tanh, a dense layer, tanh, and a softmax over 257 tokens. One example at a time, gradients accumulated
// until the optimiser steps; the table's gradient is sparse (only the rows an example read).
import { VOCAB_OUT } from "../../dist/runtime/index.js";

export function createFloatNet(config, layout, random, unigram) {
  const H = config.hidden;
  const V = VOCAB_OUT;
  const uniform = (n, a) => Float32Array.from({ length: n }, () => (2 * random() - 1) * a);
  const table = uniform(layout.rows * H, 0.05);
  // The EMA rows are read with weights summing to ~32: start them smaller.
  for (let i = layout.ema * H; i < layout.turn * H; i++) table[i] /= 16;
  const b0 = new Float32Array(H);
  const w1 = uniform(H * H, Math.sqrt(6 / (2 * H)));
  const b1 = new Float32Array(H);
  const wo = uniform(V * H, 0.5 * Math.sqrt(6 / (H + V)));
  const total = unigram.reduce((a, b) => a + b, 0);
  const bo = Float32Array.from(unigram, (c) => Math.log(c / total));

  const gTable = new Float32Array(table.length);
  const touched = new Uint8Array(layout.rows);
  const touchedRows = [];
  const g = {
    b0: new Float32Array(H),
    w1: new Float32Array(H * H),
    b1: new Float32Array(H),
    wo: new Float32Array(V * H),
    bo: new Float32Array(V),
  };

  const a0 = new Float64Array(H);
  const a1 = new Float64Array(H);
  const z = new Float64Array(V);
  const da0 = new Float64Array(H);
  const da1 = new Float64Array(H);

  /** Cross-entropy (nats) of target `y`; with `train`, adds the example's gradient. */
  function loss(rows, weights, n, y, train) {
    a0.set(b0);
    for (let f = 0; f < n; f++) {
      const w = weights[f];
      for (let i = 0, at = rows[f] * H; i < H; i++, at++) a0[i] += w * table[at];
    }
    for (let i = 0; i < H; i++) a0[i] = Math.tanh(a0[i]);
    for (let i = 0, at = 0; i < H; i++) {
      let s = b1[i];
      for (let j = 0; j < H; j++, at++) s += w1[at] * a0[j];
      a1[i] = Math.tanh(s);
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0, at = 0; k < V; k++) {
      let s = bo[k];
      for (let j = 0; j < H; j++, at++) s += wo[at] * a1[j];
      z[k] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let k = 0; k < V; k++) sum += z[k] = Math.exp(z[k] - max);
    const nll = -Math.log(z[y] / sum);
    if (!train) return nll;

    da1.fill(0);
    for (let k = 0, at = 0; k < V; k++) {
      const d = z[k] / sum - (k === y ? 1 : 0);
      g.bo[k] += d;
      for (let j = 0; j < H; j++, at++) {
        g.wo[at] += d * a1[j];
        da1[j] += wo[at] * d;
      }
    }
    da0.fill(0);
    for (let i = 0, at = 0; i < H; i++) {
      const d = da1[i] * (1 - a1[i] * a1[i]);
      g.b1[i] += d;
      for (let j = 0; j < H; j++, at++) {
        g.w1[at] += d * a0[j];
        da0[j] += w1[at] * d;
      }
    }
    for (let i = 0; i < H; i++) {
      da0[i] *= 1 - a0[i] * a0[i];
      g.b0[i] += da0[i];
    }
    for (let f = 0; f < n; f++) {
      const row = rows[f];
      if (touched[row] === 0) {
        touched[row] = 1;
        touchedRows.push(row);
      }
      const w = weights[f];
      for (let i = 0, at = row * H; i < H; i++, at++) gTable[at] += w * da0[i];
    }
    return nll;
  }

  const params = () => [
    { name: "table", value: table, grad: gTable, rowSize: H, touched, touchedRows },
    { name: "b0", value: b0, grad: g.b0 },
    { name: "w1", value: w1, grad: g.w1 },
    { name: "b1", value: b1, grad: g.b1 },
    { name: "wo", value: wo, grad: g.wo },
    { name: "bo", value: bo, grad: g.bo },
  ];
  return { loss, params, export: () => ({ table, b0, w1, b1, wo, bo }) };
}
