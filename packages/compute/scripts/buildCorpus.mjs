#!/usr/bin/env node
// Assembles packages/compute/models/corpus/ (the built-in model's training text) from this repository's own
// Markdown (MIT, ours) and the conversations in scripts/corpus/faq.mjs. Deterministic: the same sources give the same
// files. The corpus is committed, so retraining does not depend on how the docs have changed since.
//
//   node packages/compute/scripts/buildCorpus.mjs
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FAQ, SYSTEM_PROMPTS } from "./corpus/faq.mjs";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(pkg, "../..");
const out = join(pkg, "models/corpus");

const sources = [
  "README.md",
  "ARCHITECTURE.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
  ...readdirSync(join(root, "packages"))
    .sort()
    // The compute README reports this model's own numbers: it would feed on itself.
    .filter((p) => p !== "compute")
    .map((p) => `packages/${p}/README.md`),
].filter((p) => {
  try {
    readFileSync(join(root, p));
    return true;
  } catch {
    return false;
  }
});

/** A small deterministic string hash (FNV-1a) to pick phrasings. */
function pick(s, n) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}

const turn = (role, text) => `<|${role}|>${text}<|endoftext|>\n`;
const clean = (s) =>
  s
    .replace(/\[([^\]]+)\]\([^)]+\)/g, "$1")
    .replace(/\*\*/g, "")
    .replace(/\s+/g, " ")
    .trim();

/** Each heading with the first paragraph of prose under it. */
function sections(md) {
  const lines = md.split("\n");
  const title = clean((lines.find((l) => l.startsWith("# ")) ?? "# zerog").slice(2)).split(" — ")[0];
  const found = [];
  let heading = null;
  let para = [];
  let fence = false;
  const flush = () => {
    if (heading && para.length > 0) {
      const text = clean(para.join(" "));
      if (text.length >= 80) found.push({ title, heading, text });
      heading = null;
    }
    para = [];
  };
  for (const line of lines) {
    if (line.startsWith("```")) fence = !fence;
    if (fence || line.startsWith("```")) {
      flush();
      continue;
    }
    if (/^#{1,4} /.test(line)) {
      flush();
      heading = clean(
        line
          .replace(/^#+ /, "")
          .replace(/\([^)]*\)/g, "")
          .replace(/^\d+\.\s*/, ""),
      ).replace(/[:.]$/, "");
      continue;
    }
    if (line.trim() === "" || /^(\||[-*>] |\d+\. )/.test(line)) flush();
    else if (heading) para.push(line);
  }
  flush();
  return found;
}

// "Using the devnet" reads "using the devnet" inside a question; "DA contracts" or "`zg` command" stay as they are.
const lower = (h) => (/^[A-Z][a-z ]/.test(h) ? h[0].toLowerCase() + h.slice(1) : h);
const QUESTIONS = [
  (s) => `Tell me about ${lower(s.heading)} in ${s.title}.`,
  (s) => `${s.title}: ${lower(s.heading)}?`,
  (s) => `Explain "${s.heading}".`,
  (s) => `What does the ${s.title} documentation say about ${lower(s.heading)}?`,
  (s) => `What about ${lower(s.heading)}?`,
];

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "docs"), { recursive: true });
let sectionChats = "";
for (const p of sources) {
  const md = readFileSync(join(root, p), "utf8");
  writeFileSync(join(out, "docs", `${p.replaceAll("/", "-").replace(/\.md$/, "")}.txt`), md);
  for (const s of sections(md).filter((s) => s.heading !== s.title)) {
    const k = pick(s.heading + s.title, QUESTIONS.length);
    for (const q of [QUESTIONS[k], QUESTIONS[(k + 2) % QUESTIONS.length]]) {
      const system = pick(q(s), 4) === 0 ? turn("system", SYSTEM_PROMPTS[pick(s.text, SYSTEM_PROMPTS.length)]) : "";
      sectionChats += `${system}${turn("user", q(s))}${turn("assistant", s.text)}`;
    }
  }
}
writeFileSync(join(out, "chat-sections.txt"), sectionChats);

let faq = "";
for (const [i, e] of FAQ.entries()) {
  for (const q of e.q) {
    const system = pick(q, 3) === 0 ? turn("system", SYSTEM_PROMPTS[pick(e.a + q, SYSTEM_PROMPTS.length)]) : "";
    faq += `${system}${turn("user", q)}${turn("assistant", e.a)}`;
  }
  // A second turn after another exchange, so an answer also follows a conversation's history.
  const prev = FAQ[(i * 7 + 3) % FAQ.length];
  faq += `${turn("user", prev.q[0])}${turn("assistant", prev.a)}${turn("user", e.q[e.q.length - 1])}${turn("assistant", e.a)}`;
}
writeFileSync(join(out, "chat-faq.txt"), faq);

const files = readdirSync(out, { recursive: true }).filter((f) => f.endsWith(".txt"));
const bytes = files.reduce((a, f) => a + readFileSync(join(out, f)).length, 0);
console.log(`corpus: ${files.length} files, ${bytes} bytes in ${out}`);
