import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ComputeErrorCode } from "../../src/index.js";
import {
  contextFeatures,
  createFeatureScratch,
  createForwardScratch,
  createModel,
  createModelFromBytes,
  decodeWeights,
  encodeWeights,
  type FloatModel,
  forward,
  loadModel,
  type ModelConfig,
  quantizeModel,
  readManifest,
  tableLayout,
  VOCAB_OUT,
  WEIGHT_ONE,
} from "../../src/runtime/index.js";

const config: ModelConfig = {
  arch: "zg-byte-mlp",
  hidden: 16,
  positions: 4,
  ngrams: [2, 3],
  hashBuckets: 64,
  emaWindow: 32,
  emaShift: 3,
  actFrac: 8,
  actRange: 4,
  logitFrac: 10,
};

/** A small model with fixed pseudo-random weights. */
function smallFloatModel(): FloatModel {
  let s = 12345;
  const rnd = (n: number, a: number) =>
    Float32Array.from({ length: n }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return ((s / 2 ** 32) * 2 - 1) * a;
    });
  const H = config.hidden;
  return {
    name: "tiny",
    config,
    table: rnd(tableLayout(config).rows * H, 0.3),
    b0: rnd(H, 0.1),
    w1: rnd(H * H, 0.4),
    b1: rnd(H, 0.1),
    wo: rnd(VOCAB_OUT * H, 0.4),
    bo: rnd(VOCAB_OUT, 1),
  };
}

/** The same network in floats (what the training script computes). */
function floatLogits(f: FloatModel, tokens: number[], t: number): Float64Array {
  const H = f.config.hidden;
  const layout = tableLayout(f.config);
  const rows = new Int32Array(layout.maxFeatures);
  const weights = new Int32Array(layout.maxFeatures);
  const n = contextFeatures(f.config, layout, tokens, t, createFeatureScratch(f.config), rows, weights);
  const a0 = Float64Array.from(f.b0);
  for (let k = 0; k < n; k++) for (let i = 0; i < H; i++) a0[i]! += (weights[k]! / WEIGHT_ONE) * f.table[rows[k]! * H + i]!;
  const a1 = new Float64Array(H);
  for (let i = 0; i < H; i++) {
    let s = f.b1[i]!;
    for (let j = 0; j < H; j++) s += f.w1[i * H + j]! * Math.tanh(a0[j]!);
    a1[i] = Math.tanh(s);
  }
  return Float64Array.from({ length: VOCAB_OUT }, (_, k) => {
    let s = f.bo[k]!;
    for (let j = 0; j < H; j++) s += f.wo[k * H + j]! * a1[j]!;
    return s;
  });
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};

describe(".zgw weights", () => {
  const file = quantizeModel(smallFloatModel(), { training: { seed: 1 } });
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("round-trips: tensors, header and integer model", () => {
    const decoded = decodeWeights(file);
    expect(decoded.header.name).toBe("tiny");
    expect(decoded.header.training).toEqual({ seed: 1 });
    const again = encodeWeights(
      Object.fromEntries(Object.entries(decoded.header).filter(([k]) => k !== "tensors" && k !== "dataBytes")),
      decoded.header.tensors.map((t) => ({ name: t.name, shape: t.shape, data: decoded.tensors.get(t.name)! })),
    );
    expect(sha(again)).toBe(sha(file));
    const model = createModelFromBytes(file, sha(file));
    expect(model.sha256).toBe(sha(file));
    expect(model.table.length).toBe(tableLayout(config).rows * 16);
    // Quantisation is deterministic: the same floats give the same file.
    expect(sha(quantizeModel(smallFloatModel(), { training: { seed: 1 } }))).toBe(sha(file));
  });

  it("the integer forward pass tracks the float one", () => {
    const model = createModel(file, "");
    const f = smallFloatModel();
    const tokens = Array.from(new TextEncoder().encode("hello, integer world"));
    const scratch = createForwardScratch(model);
    let worst = 0;
    for (let t = 0; t <= tokens.length; t++) {
      const logits = forward(model, scratch, tokens, t);
      const expected = floatLogits(f, tokens, t);
      for (let k = 0; k < VOCAB_OUT; k++) worst = Math.max(worst, Math.abs(logits[k]! / 1024 - expected[k]!));
    }
    expect(worst).toBeLessThan(0.1);
  });

  it("refuses a truncated, extended, corrupted or mislabelled file", () => {
    expect(code(() => createModelFromBytes(file.subarray(0, file.length - 1), sha(file.subarray(0, file.length - 1))))).toBe(
      ComputeErrorCode.BAD_WEIGHTS,
    );
    expect(code(() => createModelFromBytes(file.subarray(0, 40), sha(file.subarray(0, 40))))).toBe(ComputeErrorCode.BAD_WEIGHTS);
    const longer = new Uint8Array(file.length + 8);
    longer.set(file);
    expect(code(() => createModelFromBytes(longer, sha(longer)))).toBe(ComputeErrorCode.BAD_WEIGHTS);
    const flipped = new Uint8Array(file);
    flipped[flipped.length - 100]! ^= 1;
    expect(code(() => createModelFromBytes(flipped, sha(file)))).toBe(ComputeErrorCode.BAD_WEIGHTS);
    const badMagic = new Uint8Array(file);
    badMagic[0] = 0;
    expect(code(() => createModelFromBytes(badMagic, sha(badMagic)))).toBe(ComputeErrorCode.BAD_WEIGHTS);
    expect(code(() => createModelFromBytes(file, sha(file)))).toBe("no error");
  });

  it("refuses weights whose accumulators could overflow int32", () => {
    const decoded = decodeWeights(file);
    const big = decoded.tensors.get("b1") as Int32Array;
    big[0] = 2 ** 31 - 1;
    const meta = Object.fromEntries(Object.entries(decoded.header).filter(([k]) => k !== "tensors" && k !== "dataBytes"));
    const bad = encodeWeights(
      meta,
      decoded.header.tensors.map((t) => ({ name: t.name, shape: t.shape, data: decoded.tensors.get(t.name)! })),
    );
    expect(code(() => createModel(bad, ""))).toBe(ComputeErrorCode.BAD_WEIGHTS);
  });

  it("loadModel checks the manifest's size and sha256", () => {
    const dir = mkdtempSync(join(tmpdir(), "zgw-"));
    dirs.push(dir);
    writeFileSync(join(dir, "tiny.zgw"), file);
    const manifest = (entry: object) =>
      writeFileSync(join(dir, "manifest.json"), JSON.stringify({ default: "tiny", models: { tiny: entry } }));
    manifest({ file: "tiny.zgw", sha256: sha(file), bytes: file.length });
    expect(loadModel({ dir }).sha256).toBe(sha(file));
    manifest({ file: "tiny.zgw", sha256: sha(file), bytes: file.length + 1 });
    expect(code(() => loadModel({ dir }))).toBe(ComputeErrorCode.BAD_WEIGHTS);
    manifest({ file: "tiny.zgw", sha256: "00".repeat(32), bytes: file.length });
    expect(code(() => loadModel({ dir }))).toBe(ComputeErrorCode.BAD_WEIGHTS);
    expect(code(() => loadModel({ dir, name: "other" }))).toBe(ComputeErrorCode.BAD_WEIGHTS);
    writeFileSync(join(dir, "tiny.zgw"), file.subarray(0, 100));
    manifest({ file: "tiny.zgw", sha256: sha(file), bytes: file.length });
    expect(code(() => loadModel({ dir }))).toBe(ComputeErrorCode.BAD_WEIGHTS);
  });

  it("the shipped model matches its manifest", () => {
    const manifest = readManifest();
    const entry = manifest.models[manifest.default]!;
    const model = loadModel();
    expect(model.name).toBe(manifest.default);
    expect(model.sha256).toBe(entry.sha256);
    expect(readFileSync(new URL(`../../models/${entry.file}`, import.meta.url)).length).toBe(entry.bytes);
    const bytes = model.weights.length;
    expect(bytes).toBeGreaterThan(1_000_000);
    expect(bytes).toBeLessThan(6_000_000);
  });
});
