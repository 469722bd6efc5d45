/**
 * The UTF-8 bytes of a long JSON string literal of a request, handed to methods registered with `rawStrings` instead
 * of a string. A 350 KB string (one base64 storage segment) costs V8 a large-object allocation twice, once for the
 * body text and once when JSON.parse copies it out, several times the work of decoding it from the bytes.
 */
export class RawJSONString {
  /** The literal's content between its quotes; it holds no backslash, so no escapes: this is the string's UTF-8. */
  constructor(readonly bytes: Buffer) {}

  toString(): string {
    return this.bytes.toString("utf8");
  }
}

/** Literals from this length up are lifted: shorter strings are young-generation objects, cheap to parse. */
export const LIFT_MIN_BYTES = 64 * 1024;

/** `\u0000` + the span's number stands in for a lifted literal (see `liftLongStrings`). */
const MARKER = "\\u0000";
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface LiftedBody {
  /** The body with each lifted literal's content replaced by its marker. */
  text: string;
  spans: RawJSONString[];
}

/**
 * Cuts string literals of at least LIFT_MIN_BYTES without a backslash out of a JSON body, leaving a marker string
 * `"\u0000k"` in their place; null when there are none. A NUL can only enter a parsed string through the escape
 * `\u0000`, so when the rest of the body holds no `\u0000` a parsed string equal to a marker came from that span.
 * String boundaries are found by jumping from quote to quote (memchr): outside strings, valid JSON has quotes only
 * where strings open. On invalid JSON the lifted text is invalid at the same place, and the caller re-parses the body.
 */
export function liftLongStrings(body: Buffer): LiftedBody | null {
  if (body.length < LIFT_MIN_BYTES) return null;
  const cuts: number[] = [];
  let backslash = body.indexOf(BACKSLASH);
  for (let open = body.indexOf(QUOTE); open !== -1; ) {
    let close = body.indexOf(QUOTE, open + 1);
    while (close !== -1 && escaped(body, close)) close = body.indexOf(QUOTE, close + 1);
    if (close === -1) break;
    while (backslash !== -1 && backslash <= open) backslash = body.indexOf(BACKSLASH, open + 1);
    if (close - open - 1 >= LIFT_MIN_BYTES && (backslash === -1 || backslash > close)) cuts.push(open + 1, close);
    open = body.indexOf(QUOTE, close + 1);
  }
  if (cuts.length === 0) return null;
  const parts: string[] = [];
  const spans: RawJSONString[] = [];
  let cursor = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    const part = body.toString("utf8", cursor, cuts[k]);
    if (part.includes(MARKER)) return null;
    parts.push(part, MARKER, String(spans.length));
    spans.push(new RawJSONString(body.subarray(cuts[k], cuts[k + 1])));
    cursor = cuts[k + 1]!;
  }
  const tail = body.toString("utf8", cursor);
  if (tail.includes(MARKER)) return null;
  parts.push(tail);
  return { text: parts.join(""), spans };
}

/** Whether the quote at `at` is escaped: preceded by an odd run of backslashes. */
function escaped(body: Buffer, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && body[i] === BACKSLASH; i--) n++;
  return n % 2 === 1;
}

/**
 * Puts the lifted spans back into `value` (a call's params) in place of their markers; returns how many it placed.
 * Only array elements and object values are visited: a marker anywhere else leaves the count short.
 */
export function restoreSpans(value: unknown, spans: readonly RawJSONString[], used: Uint8Array): number {
  if (typeof value !== "object" || value === null) return 0;
  let placed = 0;
  const container = value as Record<string, unknown>;
  for (const key of Object.keys(container)) {
    const v = container[key];
    if (typeof v === "string") {
      const k = markerIndex(v, spans.length);
      if (k === -1 || used[k]) continue;
      used[k] = 1;
      container[key] = spans[k];
      placed++;
    } else placed += restoreSpans(v, spans, used);
  }
  return placed;
}

function markerIndex(s: string, count: number): number {
  if (s.length < 2 || s.charCodeAt(0) !== 0) return -1;
  const rest = s.slice(1);
  const k = Number(rest);
  return Number.isInteger(k) && k >= 0 && k < count && String(k) === rest ? k : -1;
}
