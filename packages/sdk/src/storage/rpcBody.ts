import { decodeBase64InPlace } from "./base64.js";

// A downloaded segment is one JSON-RPC response of ~350 KB, nearly all of it the base64 `data` string. Decoding the
// body to a string, JSON.parse copying that string out, and base64-decoding it again cost more CPU than verifying
// the segment. The fast path below finds the base64 in the bytes, decodes it in place (no string, no new buffer), and JSON.parses
// only the rest, with a marker in place of the data. The marker is `\u0000` + the span's number: a NUL can only
// enter a parsed JSON string through the escape `\u0000`, so when the rest holds no other `\u0000` and a marker
// comes back as exactly the string at the expected place, that place held exactly that span. Anything else (an
// error response, another shape, escapes, whitespace, duplicate keys) takes the plain path: the result never
// differs from JSON.parse's except that the expected strings may arrive already decoded.

/** Where the large base64 strings are: each response's `result.data` (segments with proof) or `result` (raw segment). */
export type Base64Place = "result.data" | "result";

const decoder = new TextDecoder();
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** What a span that fails to decode becomes: not base64, so callers report the node's answer as bad data. */
const NOT_BASE64 = "!";
const PATTERNS: Record<Base64Place, Uint8Array> = {
  "result.data": new TextEncoder().encode('"data":"'),
  result: new TextEncoder().encode('"result":"'),
};
const MARKER = "\\u0000";

// Buffer#indexOf is memchr; TypedArray#indexOf is a plain loop, ~30x slower over a 350 KB string.
const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): Uint8Array } }).Buffer;
const searchable = (b: Uint8Array): Uint8Array => (NodeBuffer ? NodeBuffer.from(b.buffer, b.byteOffset, b.byteLength) : b);

/**
 * Parses a JSON-RPC response body (one response or a batch) as `JSON.parse` of its UTF-8 text would, except that
 * the strings at `place` in each response may come back decoded (base64 → `Uint8Array`); consumers accept both.
 * Throws what JSON.parse throws on a body that is not JSON.
 */
export function parseRPCBody(body: Uint8Array, place: Base64Place | null = null): unknown {
  if (place !== null) {
    const fast = parseFast(body, place);
    if (fast !== undefined) return fast;
  }
  return JSON.parse(decoder.decode(body));
}

function parseFast(body: Uint8Array, place: Base64Place): unknown {
  const search = searchable(body);
  const spans = findSpans(search, PATTERNS[place]);
  if (spans.length === 0) return undefined;
  const parts: string[] = [];
  let cursor = 0;
  for (let k = 0; k < spans.length; k += 2) {
    // An escape in the data: JSON.parse would unescape it, the byte decoder cannot.
    const slash = search.indexOf(BACKSLASH, spans[k]!);
    if (slash !== -1 && slash < spans[k + 1]!) return undefined;
    const text = decoder.decode(body.subarray(cursor, spans[k]!));
    if (text.includes(MARKER)) return undefined;
    parts.push(text, MARKER, String(k / 2));
    cursor = spans[k + 1]!;
  }
  const tail = decoder.decode(body.subarray(cursor));
  if (tail.includes(MARKER)) return undefined;
  parts.push(tail);
  let tree: unknown;
  try {
    tree = JSON.parse(parts.join(""));
  } catch {
    return undefined;
  }
  const holders = placeMarkers(tree, place, spans.length / 2);
  if (holders === null) return undefined;
  // Past this point the body is decoded in place, so there is no going back to the plain path: a span that is not
  // standard base64 becomes a string that is not base64 either, which callers reject as bad data.
  holders.forEach((holder, k) => {
    const start = spans[2 * k]!;
    const n = decodeBase64InPlace(body, start, spans[2 * k + 1]!);
    holder.object[holder.key] = n < 0 ? NOT_BASE64 : body.subarray(start, start + n);
  });
  return tree;
}

/** Per span, the object and key holding its marker; null unless every marker is in its place exactly once. */
function placeMarkers(tree: unknown, place: Base64Place, count: number): { object: Record<string, unknown>; key: string }[] | null {
  const found: ({ object: Record<string, unknown>; key: string } | undefined)[] = new Array(count);
  let placed = 0;
  const visit = (response: unknown): boolean => {
    if (typeof response !== "object" || response === null || !("result" in response)) return true;
    const key = place === "result" ? "result" : "data";
    const object = place === "result" ? response : (response as { result: unknown }).result;
    if (typeof object !== "object" || object === null || Array.isArray(object)) return true;
    const value = (object as Record<string, unknown>)[key];
    if (typeof value !== "string" || value.charCodeAt(0) !== 0) return true;
    const k = Number(value.slice(1));
    if (!Number.isInteger(k) || k < 0 || k >= count || found[k] !== undefined || `\u0000${k}` !== value) return false;
    found[k] = { object: object as Record<string, unknown>, key };
    placed++;
    return true;
  };
  const ok = Array.isArray(tree) ? tree.every(visit) : visit(tree);
  return ok && placed === count ? (found as { object: Record<string, unknown>; key: string }[]) : null;
}

/** [start, end) pairs of the string values after each `pattern` (which ends with the opening quote). */
function findSpans(body: Uint8Array, pattern: Uint8Array): number[] {
  const spans: number[] = [];
  let from = 0;
  for (;;) {
    const at = body.indexOf(QUOTE, from);
    if (at < 0 || at + pattern.length > body.length) return spans;
    if (!matchesAt(body, pattern, at)) {
      from = at + 1;
      continue;
    }
    const start = at + pattern.length;
    const end = body.indexOf(QUOTE, start);
    if (end < 0) return [];
    spans.push(start, end);
    from = end + 1;
  }
}

function matchesAt(body: Uint8Array, pattern: Uint8Array, at: number): boolean {
  for (let i = 1; i < pattern.length; i++) if (body[at + i] !== pattern[i]) return false;
  return true;
}
