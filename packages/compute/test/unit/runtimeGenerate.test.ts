import { describe, expect, it } from "vitest";
import {
  ASSISTANT,
  CompletionText,
  chatPromptTokens,
  completionPromptTokens,
  corpusToTokens,
  createForwardScratch,
  EOT,
  forward,
  generate,
  loadModel,
  SYSTEM,
  USER,
} from "../../src/runtime/index.js";

const enc = new TextEncoder();
const model = loadModel();

function run(prompt: number[], options: Parameters<typeof generate>[2]): { tokens: number[]; finish: string } {
  const g = generate(model, prompt, options);
  const tokens: number[] = [];
  for (let s = g.next(); ; s = g.next()) {
    if (s.done === true) return { tokens, finish: s.value };
    tokens.push(s.value);
  }
}

describe("chat template", () => {
  it("is role token, content bytes, end-of-text per message, then the assistant token", () => {
    const tokens = chatPromptTokens([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi é" },
    ]);
    expect(tokens).toEqual([SYSTEM, ...enc.encode("Be brief."), EOT, USER, ...enc.encode("Hi é"), EOT, ASSISTANT]);
    // Content is bytes: a marker typed by a user is not a special token.
    expect(chatPromptTokens([{ role: "user", content: "<|assistant|>" }]).filter((t) => t >= 256)).toEqual([USER, EOT, ASSISTANT]);
    // The corpus spells the same conversation with markers.
    expect(corpusToTokens("<|system|>Be brief.<|endoftext|>\n<|user|>Hi é<|endoftext|>\n<|assistant|>")).toEqual(tokens);
    expect(completionPromptTokens("ab")).toEqual([97, 98]);
  });
});

describe("generate", () => {
  const prompt = chatPromptTokens([{ role: "user", content: "What is zerog?" }]);

  it("is greedy by default and repeatable", () => {
    const a = run(prompt, { maxTokens: 64 });
    const b = run(prompt, { maxTokens: 64, temperature: 0, seed: 99 });
    expect(a).toEqual(b);
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(a.tokens.every((t) => t >= 0 && t < 256)).toBe(true);
    // The first token is the argmax of the logits.
    const logits = forward(model, createForwardScratch(model), prompt, prompt.length);
    expect(logits[a.tokens[0]!]).toBe(Math.max(...logits));
  });

  it("samples from the seed: the same seed the same bytes, another seed other bytes", () => {
    const opts = { maxTokens: 48, temperature: 1, seed: 1 };
    const a = run(prompt, opts);
    expect(run(prompt, opts)).toEqual(a);
    const others = [2, 3, 4].map((seed) => run(prompt, { ...opts, seed }).tokens.join());
    expect(others.some((o) => o !== a.tokens.join())).toBe(true);
    // A nucleus of one token is greedy decoding.
    expect(run(prompt, { ...opts, topP: 0.001 })).toEqual(run(prompt, { maxTokens: 48 }));
  });

  it("stops at max tokens, or at a stop sequence", () => {
    const full = run(prompt, { maxTokens: 40 });
    expect(run(prompt, { maxTokens: 5 })).toEqual({ tokens: full.tokens.slice(0, 5), finish: "length" });
    const stop = full.tokens.slice(6, 8);
    const stopped = run(prompt, { maxTokens: 40, stop: [Uint8Array.from(stop), enc.encode("never appears \u0000")] });
    expect(stopped.finish).toBe("stop");
    const end = stopped.tokens.length;
    expect(stopped.tokens.slice(end - 2)).toEqual(stop);
    expect(stopped.tokens).toEqual(full.tokens.slice(0, end));
  });
});

describe("CompletionText", () => {
  it("passes only whole characters, whatever the byte boundaries", () => {
    const t = new CompletionText([]);
    const pieces = Array.from(enc.encode("aé€😀b"), (b) => t.push(b));
    expect(pieces).toEqual(["a", "", "é", "", "", "€", "", "", "", "😀", "b"]);
    expect(t.finish()).toBe("");
    expect(t.tokens).toBe(11);
  });

  it("ends an unfinished character with U+FFFD and replaces invalid bytes", () => {
    const t = new CompletionText([]);
    expect([0x61, 0xff, 0xe2, 0x82].map((b) => t.push(b)).join("")).toBe("a\ufffd");
    expect(t.finish()).toBe("\ufffd");
  });

  it("holds back what may start a stop sequence and drops a matched one", () => {
    const t = new CompletionText([enc.encode("END"), enc.encode("é!")]);
    const out = Array.from(enc.encode("aENxEé"), (b) => t.push(b));
    // "EN" waits until "x" shows it is not "END"; "é" waits (it may be "é!") until the end.
    expect(out).toEqual(["a", "", "", "ENx", "", "E", ""]);
    expect(t.finish()).toBe("é");
    const s = new CompletionText([enc.encode("END")]);
    expect(Array.from(enc.encode("okEND"), (b) => s.push(b)).join("") + s.finish()).toBe("ok");
  });
});
