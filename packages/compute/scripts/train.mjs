#!/usr/bin/env node
// Trains the built-in model (Float32, one core, seeded: the same options give the same weights file on this machine),
// quantises it to the integer runtime's format and writes the .zgw and its manifest entry.
//
//   npm run train -w @zerog/compute                  (the shipped model: 60,000 steps, seed 1, ~7 min on one core)
//   node packages/compute/scripts/train.mjs --steps 500 --out /tmp/small.zgw --no-manifest     (a quick try)
//
// Needs the package built (`npx tsc -b packages/compute`): it reuses the runtime's own feature extraction,
// quantiser and integer forward pass, so what it measures is what the runtime runs.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  contextFeatures,
  corpusToTokens,
  createFeatureScratch,
  createForwardScratch,
  createModel,
  EOT,
  forward,
  quantizeModel,
  tableLayout,
  VOCAB_OUT,
  WEIGHT_ONE,
} from "../dist/runtime/index.js";
import { createAdam } from "./train/adam.mjs";
import { createFloatNet } from "./train/floatNet.mjs";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    steps: { type: "string", default: "60000" },
    batch: { type: "string", default: "32" },
    lr: { type: "string", default: "0.003" },
    seed: { type: "string", default: "1" },
    hidden: { type: "string", default: "128" },
    buckets: { type: "string", default: "32768" },
    ngrams: { type: "string", default: "2,3,4,5,6,8,12,16" },
    "chat-weight": { type: "string", default: "2" },
    out: { type: "string", default: join(pkg, "models/zg-byte-mlp-v1.zgw") },
    manifest: { type: "string", default: join(pkg, "models/manifest.json") },
    "no-manifest": { type: "boolean", default: false },
    "log-every": { type: "string", default: "5000" },
    "eval-every": { type: "string", default: "20000" },
  },
});
const steps = Number(args.steps);
const batch = Number(args.batch);
const lr = Number(args.lr);
const seed = Number(args.seed);
const config = {
  arch: "zg-byte-mlp",
  hidden: Number(args.hidden),
  positions: 12,
  ngrams: args.ngrams.split(",").map(Number),
  hashBuckets: Number(args.buckets),
  emaWindow: 128,
  emaShift: 5,
  actFrac: 8,
  actRange: 4,
  logitFrac: 10,
};

// ---- corpus: every .txt under models/corpus, sorted; one token sequence per file (padding before its start) ----
const corpusDir = join(pkg, "models/corpus");
const files = readdirSync(corpusDir, { recursive: true })
  .filter((f) => f.endsWith(".txt"))
  .map((f) => f.split("\\").join("/"))
  .sort();
const corpusHash = createHash("sha256");
let corpusBytes = 0;
const docs = files.map((f) => {
  const bytes = readFileSync(join(corpusDir, f));
  corpusHash.update(`${f}\0${bytes.length}\0`).update(bytes);
  corpusBytes += bytes.length;
  const tokens = corpusToTokens(bytes.toString("utf8"));
  if (tokens[tokens.length - 1] !== EOT) tokens.push(EOT);
  return Int32Array.from(tokens);
});
const corpusSha256 = corpusHash.digest("hex");

// Held out: every 16th block of 1024 positions of each file. Targets that are role markers are never predicted.
// Conversations (chat-*.txt) are seen `chat-weight` times as often as the documentation.
const train = [];
const valid = [];
for (const [d, toks] of docs.entries()) {
  const repeat = files[d].startsWith("chat-") ? Number(args["chat-weight"]) : 1;
  for (let t = 0; t < toks.length; t++) {
    if (toks[t] >= VOCAB_OUT) continue;
    if ((t >> 10) % 16 === 7) valid.push(d, t);
    else for (let r = 0; r < repeat; r++) train.push(d, t);
  }
}
const trainPos = Int32Array.from(train);
const validPos = Int32Array.from(valid);
console.log(
  `corpus ${files.length} files, ${corpusBytes} bytes, sha256 ${corpusSha256.slice(0, 16)}…; ${trainPos.length / 2} training and ${validPos.length / 2} held-out positions`,
);

// ---- model ----
let rng = seed >>> 0 || 1;
const random = () => {
  // mulberry32
  rng = (rng + 0x6d2b79f5) | 0;
  let x = Math.imul(rng ^ (rng >>> 15), 1 | rng);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};
const layout = tableLayout(config);
const unigram = new Float64Array(VOCAB_OUT).fill(1);
for (let k = 0; k < trainPos.length; k += 2) unigram[docs[trainPos[k]][trainPos[k + 1]]]++;
const net = createFloatNet(config, layout, random, unigram);
const params = net.params();
const adam = createAdam(params, { lr, beta1: 0.9, beta2: 0.99, eps: 1e-8 });
const paramCount = params.reduce((a, p) => a + p.value.length, 0);
console.log(
  `model ${config.arch}: hidden ${config.hidden}, table ${layout.rows} rows, ${paramCount} parameters (${(paramCount / 1e6).toFixed(2)} MB as int8)`,
);

const fscratch = createFeatureScratch(config);
const rows = new Int32Array(layout.maxFeatures);
const weights = new Float32Array(layout.maxFeatures);
const iweights = new Int32Array(layout.maxFeatures);
function features(d, t) {
  const n = contextFeatures(config, layout, docs[d], t, fscratch, rows, iweights);
  for (let f = 0; f < n; f++) weights[f] = iweights[f] / WEIGHT_ONE;
  return n;
}

function evaluate(limit) {
  const every = Math.max(1, Math.floor(validPos.length / 2 / limit));
  let loss = 0;
  let count = 0;
  for (let k = 0; k < validPos.length; k += 2 * every, count++) {
    const n = features(validPos[k], validPos[k + 1]);
    loss += net.loss(rows, weights, n, docs[validPos[k]][validPos[k + 1]], false);
  }
  return loss / count;
}

const bpb = (nats) => nats / Math.LN2;
const started = performance.now();
let running = 0;
let runningCount = 0;
const warmup = Math.min(500, steps / 10);
for (let step = 1; step <= steps; step++) {
  for (let b = 0; b < batch; b++) {
    const k = 2 * Math.floor(random() * (trainPos.length / 2));
    const n = features(trainPos[k], trainPos[k + 1]);
    running += net.loss(rows, weights, n, docs[trainPos[k]][trainPos[k + 1]], true);
    runningCount++;
  }
  // Linear warm-up, then cosine decay to a tenth.
  const progress = step < warmup ? step / warmup : 0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - warmup)) / (steps - warmup)));
  adam.step(lr * progress, 1 / batch);
  if (step % Number(args["log-every"]) === 0 || step === steps) {
    const secs = (performance.now() - started) / 1000;
    console.log(
      `step ${step}/${steps}  loss ${(running / runningCount).toFixed(4)} nats (${bpb(running / runningCount).toFixed(3)} bpb)  ${secs.toFixed(0)} s, ~${((secs / step) * (steps - step)).toFixed(0)} s left`,
    );
    running = 0;
    runningCount = 0;
  }
  if (step % Number(args["eval-every"]) === 0 && step !== steps) console.log(`  held-out (sample) ${bpb(evaluate(3000)).toFixed(3)} bpb`);
}
const trainSeconds = (performance.now() - started) / 1000;
const validLoss = evaluate(Number.POSITIVE_INFINITY);
console.log(`held-out loss ${validLoss.toFixed(4)} nats/token = ${bpb(validLoss).toFixed(3)} bits per byte (Float32)`);

// ---- quantise, and measure the integer model on the same held-out positions ----
const name = basename(args.out).replace(/\.zgw$/, "");
const meta = {
  training: { corpusSha256, corpusBytes, seed, steps, batch, lr, validBpbFloat: Number(bpb(validLoss).toFixed(4)) },
};
let file = quantizeModel({ name, config, ...net.export() }, meta);
const intModel = createModel(file, "");
const scratch = createForwardScratch(intModel);
let intLoss = 0;
const unit = 2 ** config.logitFrac;
for (let k = 0; k < validPos.length; k += 2) {
  const logits = forward(intModel, scratch, docs[validPos[k]], validPos[k + 1]);
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  let sum = 0;
  for (const l of logits) sum += Math.exp((l - max) / unit);
  intLoss += Math.log(sum) - (logits[docs[validPos[k]][validPos[k + 1]]] - max) / unit;
}
intLoss /= validPos.length / 2;
console.log(`held-out loss ${intLoss.toFixed(4)} nats/token = ${bpb(intLoss).toFixed(3)} bits per byte (integer runtime)`);
meta.training.validBpbInt = Number(bpb(intLoss).toFixed(4));
file = quantizeModel({ name, config, ...net.export() }, meta);
const sha256 = createHash("sha256").update(file).digest("hex");
mkdirSync(dirname(resolve(args.out)), { recursive: true });
writeFileSync(args.out, file);
console.log(`wrote ${args.out}: ${file.length} bytes, sha256 ${sha256}; trained in ${trainSeconds.toFixed(0)} s`);

if (!args["no-manifest"]) {
  let manifest = { models: {} };
  try {
    manifest = JSON.parse(readFileSync(args.manifest, "utf8"));
  } catch {}
  const command = ["node", relative(join(pkg, "../.."), fileURLToPath(import.meta.url)), ...process.argv.slice(2)].join(" ");
  manifest.default = name;
  manifest.models[name] = {
    file: relative(dirname(resolve(args.manifest)), resolve(args.out)),
    sha256,
    bytes: file.length,
    runtime: "zerog-int-v1",
    parameters: paramCount,
    config,
    corpus: { dir: "models/corpus", files: files.length, bytes: corpusBytes, sha256: corpusSha256 },
    training: { command, seed, steps, batch, lr, seconds: Math.round(trainSeconds), node: process.version },
    heldOut: { bpbFloat: meta.training.validBpbFloat, bpbInt: meta.training.validBpbInt, positions: validPos.length / 2 },
  };
  writeFileSync(args.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`updated ${args.manifest}`);
}
