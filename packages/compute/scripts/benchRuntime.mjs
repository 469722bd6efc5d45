#!/usr/bin/env node
// Tokens per second of the built-in model on one thread: a 64-token prompt, 128 generated tokens, greedy and
// sampled; beside it, the same network in Float64 (weights dequantised) as the peer, in the same process; and the
// throughput of concurrent requests on a pool of worker threads.
//
//   npx tsc -b packages/compute && node packages/compute/scripts/benchRuntime.mjs
import { availableParallelism } from "node:os";
import {
  completionPromptTokens,
  contextFeatures,
  createFeatureScratch,
  createForwardScratch,
  forward,
  generate,
  loadModel,
  RuntimeBackend,
  VOCAB_OUT,
  WEIGHT_ONE,
} from "../dist/runtime/index.js";

const model = loadModel();
const prompt = completionPromptTokens("Validators run the chain; storage nodes, data-availability signers and compute providers").slice(
  0,
  64,
);

function timeIt(label, fn, rounds = 8) {
  fn();
  const times = [];
  let tokens = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    tokens = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(rounds / 2)];
  const rate = (tokens / median) * 1000;
  console.log(`${label.padEnd(44)} ${tokens} tokens in ${median.toFixed(1)} ms (median of ${rounds}): ${rate.toFixed(0)} tokens/s`);
  return rate;
}

// Sampling may write end-of-text early: eight seeds per round, all their tokens counted.
const run = (opts) => () => {
  let n = 0;
  for (let seed = 1; seed <= (opts.temperature ? 8 : 1); seed++)
    for (const _ of generate(model, prompt, { maxTokens: 128, seed, ...opts })) n++;
  return n;
};

// The peer: the same network in floats, weights dequantised, one token after another (greedy, no early stop).
const H = model.config.hidden;
const unit0 = 2 ** (model.config.actFrac + model.acc0Shift);
const table = Float64Array.from(model.table, (q, i) => (q * model.tableM[Math.floor(i / H)]) / unit0);
const b0 = Float64Array.from(model.b0, (b) => b / unit0);
const dense = (q, m, s, b, rows, frac) => ({
  w: Float64Array.from(q, (v, i) => (v * 127 * m[Math.floor(i / H)]) / 2 ** s[Math.floor(i / H)] / 2 ** frac),
  b: Float64Array.from(b, (v, k) => (v * m[k]) / 2 ** s[k] / 2 ** frac),
  rows,
});
const l1 = dense(model.w1, model.w1M, model.w1S, model.b1, H, model.config.actFrac);
const lo = dense(model.wo, model.woM, model.woS, model.bo, VOCAB_OUT, model.config.logitFrac);
const fs = createFeatureScratch(model.config);
const rows = new Int32Array(model.layout.maxFeatures);
const weights = new Int32Array(model.layout.maxFeatures);
const a0 = new Float64Array(H);
const a1 = new Float64Array(H);
function floatNext(tokens) {
  const n = contextFeatures(model.config, model.layout, tokens, tokens.length, fs, rows, weights);
  a0.set(b0);
  for (let f = 0; f < n; f++) for (let i = 0, at = rows[f] * H, w = weights[f] / WEIGHT_ONE; i < H; i++) a0[i] += w * table[at + i];
  for (let i = 0; i < H; i++) a0[i] = Math.tanh(a0[i]);
  for (let i = 0; i < H; i++) {
    let s = l1.b[i];
    for (let j = 0; j < H; j++) s += l1.w[i * H + j] * a0[j];
    a1[i] = Math.tanh(s);
  }
  let best = 0;
  let bestV = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < VOCAB_OUT; k++) {
    let s = lo.b[k];
    for (let j = 0; j < H; j++) s += lo.w[k * H + j] * a1[j];
    if (s > bestV) [best, bestV] = [k, s];
  }
  return best;
}

console.log(`model ${model.name} (${model.weights.length} bytes, sha256 ${model.sha256.slice(0, 16)}…), Node ${process.version}`);
const greedy = timeIt("integer runtime, greedy", run({}));
timeIt("integer runtime, temperature 0.8, top_p 0.95", run({ temperature: 0.8, topP: 0.95 }));
const peer = timeIt("peer: same network in Float64, greedy", () => {
  const tokens = [...prompt];
  for (let i = 0; i < 128; i++) tokens.push(floatNext(tokens) & 0xff);
  return 128;
});
console.log(`integer / Float64 speed: ${(greedy / peer).toFixed(2)}x`);
const scratch = createForwardScratch(model);
timeIt("forward passes only (no sampling)", () => {
  for (let i = 0; i < 128; i++) forward(model, scratch, prompt, prompt.length);
  return 128;
});

// Concurrent requests through the backend: in-process vs a pool of worker threads.
const REQUESTS = 48;
const body = (k) => ({ model: model.name, prompt: `${k} The chain`, max_tokens: 256, temperature: 1, seed: k });
async function throughput(backend, label) {
  await backend.start();
  const t0 = performance.now();
  const counts = await Promise.all(
    Array.from({ length: REQUESTS }, async (_, k) => {
      const b = body(k);
      const bytes = new TextEncoder().encode(JSON.stringify(b));
      const res = await backend.handle({ route: "completions", body: bytes, json: b, stream: false, signal: new AbortController().signal });
      let out = "";
      for await (const p of res.body) out += new TextDecoder().decode(p);
      return JSON.parse(out).usage.completion_tokens;
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const total = counts.reduce((a, b) => a + b, 0);
  console.log(
    `${label.padEnd(44)} ${REQUESTS} concurrent requests, ${total} tokens in ${secs.toFixed(2)} s: ${(total / secs).toFixed(0)} tokens/s`,
  );
  await backend.close();
}
await throughput(new RuntimeBackend({}, { model, now: () => 0 }), "backend, in-process");
const workers = Math.min(2, availableParallelism());
await throughput(new RuntimeBackend({ workers }, { model, now: () => 0 }), `backend, ${workers} worker threads`);
