import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackendRequest, BackendResponse, InferenceRoute } from "../../src/backend.js";
import {
  ComputeErrorCode,
  compareCompletion,
  completionContent,
  DEFAULT_MAX_TOKENS,
  loadModel,
  RUNTIME_ID,
  RuntimeBackend,
  reexecute,
} from "../../src/index.js";

const model = loadModel();
const NOW = 1_750_000_000;
const backend = new RuntimeBackend({}, { model, now: () => NOW + 0.7 });
const enc = new TextEncoder();
const dec = new TextDecoder();
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const concat = (pieces: Uint8Array[]) => Uint8Array.from(pieces.flatMap((p) => Array.from(p)));

function request(route: InferenceRoute, body: Record<string, unknown>, signal = new AbortController().signal): BackendRequest {
  const bytes = enc.encode(JSON.stringify(body));
  return { route, body: bytes, json: JSON.parse(dec.decode(bytes)), stream: body.stream === true, signal };
}

async function collect(res: BackendResponse): Promise<{ bytes: Uint8Array; pieces: Uint8Array[] }> {
  const pieces: Uint8Array[] = [];
  for await (const p of res.body) pieces.push(p);
  return { bytes: concat(pieces), pieces };
}

async function answer(b: RuntimeBackend, route: InferenceRoute, body: Record<string, unknown>) {
  return collect(await b.handle(request(route, body)));
}

const question = "What is the chain id of the devnet?";
const chat = { model: model.name, messages: [{ role: "user", content: question }], max_tokens: 128 };
const completion = { model: model.name, prompt: "The chain ", max_tokens: 64 };
const sampled = { ...chat, temperature: 0.9, seed: 42, messages: [{ role: "user", content: "Tell me about storage." }] };

describe("RuntimeBackend", () => {
  it("advertises an OpML model with its weights hash", () => {
    expect(backend.model).toEqual({
      id: model.name,
      verifiability: "OpML",
      defaultMaxTokens: DEFAULT_MAX_TOKENS,
      additionalInfo: expect.objectContaining({ weights: `sha256:${model.sha256}`, runtime: RUNTIME_ID }),
    });
  });

  it("answers chat/completions with OpenAI JSON whose bytes depend only on the request, weights and clock", async () => {
    const res = await backend.handle(request("chat/completions", chat));
    expect(res.status).toBe(200);
    expect(res.contentType).toBe("application/json");
    const { bytes, pieces } = await collect(res);
    expect(pieces.length).toBe(1);
    const json = JSON.parse(dec.decode(bytes));
    expect(json.id).toBe(`chatcmpl-${sha(enc.encode(JSON.stringify(chat))).slice(0, 24)}`);
    expect(json).toMatchObject({ object: "chat.completion", created: NOW, model: model.name });
    expect(json.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: expect.any(String) },
        logprobs: null,
        finish_reason: expect.stringMatching(/^(stop|length)$/),
      },
    ]);
    const { prompt_tokens, completion_tokens, total_tokens } = json.usage;
    expect(prompt_tokens).toBe(1 + enc.encode(question).length + 2);
    expect(total_tokens).toBe(prompt_tokens + completion_tokens);
    expect((await answer(backend, "chat/completions", chat)).bytes).toEqual(bytes);
  });

  it("pins the greedy answer to a fixed prompt (any change to the maths or the weights shows here)", async () => {
    const { bytes } = await answer(backend, "chat/completions", chat);
    const text = JSON.parse(dec.decode(bytes)).choices[0].message.content;
    expect({ text, sha256: sha(bytes) }).toEqual(GOLDEN);
    // And a sampled, streamed one (the exp table, the PRNG, the SSE chunking).
    expect(sha((await answer(backend, "chat/completions", { ...sampled, stream: true })).bytes)).toBe(GOLDEN_SAMPLED_SSE);
  });

  it("streams the same content as SSE: role chunk, content chunks, a last chunk with usage, [DONE]", async () => {
    for (const [route, body] of [
      ["chat/completions", chat],
      ["completions", completion],
      ["chat/completions", sampled],
    ] as const) {
      const json = await answer(backend, route, body);
      const res = await backend.handle(request(route, { ...body, stream: true }));
      expect(res.contentType).toBe("text/event-stream");
      const sse = await collect(res);
      for (const p of sse.pieces) expect(dec.decode(p)).toMatch(/^data: .*\n\n$/s);
      expect(dec.decode(sse.pieces.at(-1)!)).toBe("data: [DONE]\n\n");
      const events = sse.pieces.slice(0, -1).map((p) => JSON.parse(dec.decode(p).slice(6)));
      const last = events.at(-1);
      expect(last.usage).toEqual(JSON.parse(dec.decode(json.bytes)).usage);
      expect(last.choices[0].finish_reason).toMatch(/^(stop|length)$/);
      if (route === "chat/completions") expect(events[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
      for (const e of events) expect(e.object).toBe(route === "chat/completions" ? "chat.completion.chunk" : "text_completion");
      expect(completionContent(route, true, sse.bytes)).toEqual(completionContent(route, false, json.bytes));
    }
  });

  it("answers completions, honours max_tokens, seeds and stop sequences", async () => {
    const json = JSON.parse(dec.decode((await answer(backend, "completions", completion)).bytes));
    expect(json).toMatchObject({ object: "text_completion", created: NOW, model: model.name });
    expect(json.id).toMatch(/^cmpl-[0-9a-f]{24}$/);
    const short = JSON.parse(dec.decode((await answer(backend, "completions", { ...completion, max_tokens: 3 })).bytes));
    expect(short.usage.completion_tokens).toBeLessThanOrEqual(3);
    expect(json.choices[0].text.startsWith(short.choices[0].text)).toBe(true);
    const a = await answer(backend, "chat/completions", sampled);
    expect((await answer(backend, "chat/completions", sampled)).bytes).toEqual(a.bytes);
    const text: string = JSON.parse(dec.decode(a.bytes)).choices[0].message.content;
    const stop = text.slice(10, 13);
    const stopped = JSON.parse(dec.decode((await answer(backend, "chat/completions", { ...sampled, stop: [stop] })).bytes));
    expect(stopped.choices[0].message.content).toBe(text.slice(0, text.indexOf(stop)));
    expect(stopped.choices[0].finish_reason).toBe("stop");
  });

  it("refuses bad bodies with COMPUTE_BAD_REQUEST", async () => {
    const bad: [InferenceRoute, Record<string, unknown>][] = [
      ["chat/completions", { ...chat, model: "gpt-4" }],
      ["chat/completions", { ...chat, messages: [] }],
      ["chat/completions", { ...chat, messages: "hi" }],
      ["chat/completions", { ...chat, messages: [{ role: "tool", content: "x" }] }],
      ["chat/completions", { ...chat, messages: [{ role: "user", content: 7 }] }],
      ["chat/completions", { ...chat, messages: [{ role: "user", content: [{ type: "image_url", image_url: "x" }] }] }],
      ["chat/completions", { ...chat, max_tokens: 0 }],
      ["chat/completions", { ...chat, max_tokens: 1e9 }],
      ["chat/completions", { ...chat, max_tokens: 1.5 }],
      ["chat/completions", { ...chat, temperature: 3 }],
      ["chat/completions", { ...chat, temperature: "hot" }],
      ["chat/completions", { ...chat, top_p: 0 }],
      ["chat/completions", { ...chat, seed: 0.5 }],
      ["chat/completions", { ...chat, n: 2 }],
      ["chat/completions", { ...chat, stop: ["a", "b", "c", "d", "e"] }],
      ["chat/completions", { ...chat, stop: [""] }],
      ["chat/completions", { ...chat, logprobs: true }],
      ["chat/completions", { ...chat, presence_penalty: 1 }],
      ["chat/completions", { ...chat, tools: [{ type: "function" }] }],
      ["chat/completions", { ...chat, response_format: { type: "json_object" } }],
      ["chat/completions", { ...chat, messages: [{ role: "user", content: "x".repeat(40_000) }] }],
      ["completions", { ...completion, prompt: ["a", "b"] }],
      ["completions", { ...completion, prompt: 5 }],
      ["completions", { ...completion, echo: true }],
    ];
    for (const [route, body] of bad)
      await expect(backend.handle(request(route, body)), JSON.stringify(body).slice(0, 80)).rejects.toMatchObject({
        code: ComputeErrorCode.BAD_REQUEST,
      });
    // Fields without effect on the answer are accepted.
    const ok = { ...chat, user: "u1", stream_options: { include_usage: true }, n: 1, temperature: null, response_format: { type: "text" } };
    expect((await answer(backend, "chat/completions", ok)).bytes.length).toBeGreaterThan(0);
  });

  it("stops generating when the request is aborted", async () => {
    const ctl = new AbortController();
    const res = await backend.handle(request("chat/completions", { ...chat, max_tokens: 4096, stream: true, temperature: 1 }, ctl.signal));
    let n = 0;
    for await (const _ of res.body) if (++n === 2) ctl.abort();
    expect(n).toBeLessThan(10);
  });
});

describe("re-execution", () => {
  it("reexecute says what the response says; a tampered response is caught", async () => {
    for (const [route, body] of [
      ["chat/completions", { ...chat, stream: true }],
      ["completions", completion],
      ["chat/completions", sampled],
    ] as const) {
      const req = request(route, body);
      const { bytes } = await collect(await backend.handle(req));
      const claimed = completionContent(route, req.stream, bytes);
      const redone = reexecute(model, route, req.body);
      expect(compareCompletion(claimed, redone)).toEqual({ equal: true, differences: [] });
      const forged = { ...claimed, text: `${claimed.text.slice(0, 5)}X${claimed.text.slice(6)}`, completionTokens: 1 };
      const diff = compareCompletion(forged, redone);
      expect(diff.equal).toBe(false);
      expect(diff.differences).toHaveLength(2);
      expect(diff.differences[0]).toMatch(/^text differs at character 5/);
    }
    expect(() => completionContent("chat/completions", true, enc.encode("data: {}\n\n"))).toThrow(/DONE/);
    expect(() => reexecute(model, "chat/completions", enc.encode("not json"))).toThrow(/not UTF-8 JSON/);
  });
});

// Threads and processes run the built JavaScript (`npm test` builds first).
const workerUrl = new URL("../../dist/runtime/runtimeWorker.js", import.meta.url);
const distIndex = new URL("../../dist/index.js", import.meta.url).href;
const bodies: [InferenceRoute, Record<string, unknown>][] = [
  ["chat/completions", chat],
  ["chat/completions", { ...sampled, stream: true }],
  ["completions", { ...completion, stream: true, temperature: 0.7, seed: -3 }],
];

describe("the same bytes everywhere", () => {
  const pooled = new RuntimeBackend({ workers: 2 }, { model, now: () => NOW, workerUrl });
  beforeAll(() => pooled.start(), 60_000);
  afterAll(() => pooled.close());

  it("worker threads, concurrent requests included, give the main thread's bytes", async () => {
    const here = await Promise.all(bodies.map(([r, b]) => answer(backend, r, b)));
    const there = await Promise.all([...bodies, ...bodies].map(([r, b]) => answer(pooled, r, b)));
    for (const [k, h] of here.entries()) {
      expect(sha(there[k]!.bytes)).toBe(sha(h.bytes));
      expect(sha(there[k + bodies.length]!.bytes)).toBe(sha(h.bytes));
      // Pieces, not just their concatenation: SSE events are cut at the same places.
      expect(there[k]!.pieces.map(sha)).toEqual(h.pieces.map(sha));
    }
  });

  it("a thread stops on abort and takes the next request", async () => {
    const ctl = new AbortController();
    const res = await pooled.handle(request("completions", { ...completion, max_tokens: 4096, stream: true, temperature: 1 }, ctl.signal));
    let n = 0;
    for await (const _ of res.body) if (++n === 2) ctl.abort();
    expect(n).toBeLessThan(64);
    const [again, here] = await Promise.all([answer(pooled, "chat/completions", chat), answer(backend, "chat/completions", chat)]);
    expect(sha(again.bytes)).toBe(sha(here.bytes));
  });

  it("two separate Node processes give the main thread's bytes", async () => {
    const script = `
      const { loadModel, RuntimeBackend } = await import(${JSON.stringify(distIndex)});
      const model = loadModel();
      const backend = new RuntimeBackend({}, { model, now: () => ${NOW} });
      const out = [];
      for (const [route, body] of JSON.parse(process.argv[1])) {
        const bytes = new TextEncoder().encode(JSON.stringify(body));
        const res = await backend.handle({ route, body: bytes, json: body, stream: body.stream === true, signal: new AbortController().signal });
        const pieces = [];
        for await (const p of res.body) pieces.push(Buffer.from(p));
        out.push(Buffer.concat(pieces).toString("hex"));
      }
      process.stdout.write(JSON.stringify(out));`;
    const child = () =>
      new Promise<string[]>((resolve, reject) => {
        const p = spawn(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(bodies)], {
          cwd: fileURLToPath(new URL("../..", import.meta.url)),
          stdio: ["ignore", "pipe", "pipe"],
          timeout: 60_000,
        });
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("error", reject);
        p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}: ${err}`))));
      });
    const [a, b] = await Promise.all([child(), child()]);
    const here = await Promise.all(bodies.map(([r, body]) => answer(backend, r, body)));
    expect(a).toEqual(b);
    expect(a).toEqual(here.map((h) => Buffer.from(h.bytes).toString("hex")));
  }, 90_000);
});

// The weights are models/manifest.json's default; retraining changes these (and only these) expectations.
const GOLDEN = {
  text: "The devnet's chain id is 31337 and its JSON-RPC and WebSocket endpoint is http://127.0.0.1:8545 (one port).",
  sha256: "805c7ed9cff8f1797bae490aeec4cfeeda43dcc71d1d81621a56d2880ec2e78d",
};
const GOLDEN_SAMPLED_SSE = "eea5edc1f8fd1314019d0072ee8e4e72013bb11e171103019ac3836cdcfe50e1";
