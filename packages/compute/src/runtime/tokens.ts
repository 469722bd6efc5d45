/**
 * The runtime's tokens: one per byte (0–255) plus four specials. Text goes in and out as UTF-8 bytes, so there is no
 * vocabulary file and any input is representable; a message's content is always bytes, never specials, so a user
 * cannot forge a role marker by typing it.
 */
export const EOT = 256;
export const SYSTEM = 257;
export const USER = 258;
export const ASSISTANT = 259;

/** Tokens the model reads (bytes and the four specials). */
export const VOCAB_IN = 260;
/** Tokens the model writes: bytes and end-of-text (a role marker is never generated). */
export const VOCAB_OUT = 257;

/** How the specials are spelled in the training corpus (and in logs); never recognised in request content. */
export const SPECIAL_NAMES: Readonly<Record<number, string>> = {
  [EOT]: "<|endoftext|>",
  [SYSTEM]: "<|system|>",
  [USER]: "<|user|>",
  [ASSISTANT]: "<|assistant|>",
};

/** Tokens before the start of a prompt read as end-of-text, as after the end of a previous document. */
export const PAD = EOT;

export function isByteToken(t: number): boolean {
  return t >= 0 && t < 256;
}

export function bytesToTokens(bytes: Uint8Array): number[] {
  return Array.from(bytes);
}

/**
 * Corpus text with the special markers spelled out (`<|user|>` …) to tokens. A newline right after
 * `<|endoftext|>` is a formatting convenience of the corpus files and is dropped.
 */
export function corpusToTokens(text: string): number[] {
  const out: number[] = [];
  const enc = new TextEncoder();
  const re = /<\|(endoftext|system|user|assistant)\|>\n?/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    for (const b of enc.encode(text.slice(last, m.index))) out.push(b);
    const name = m[1];
    out.push(name === "endoftext" ? EOT : name === "system" ? SYSTEM : name === "user" ? USER : ASSISTANT);
    // Only the end-of-text marker swallows the newline after it.
    last = name === "endoftext" ? m.index + m[0].length : m.index + `<|${name}|>`.length;
  }
  for (const b of enc.encode(text.slice(last))) out.push(b);
  return out;
}
