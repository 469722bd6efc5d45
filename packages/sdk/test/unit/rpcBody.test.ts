import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64ToBytes } from "../../src/storage/base64.js";
import { parseRPCBody } from "../../src/storage/rpcBody.js";

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** The plain path: JSON.parse of the text, base64 strings at the expected place decoded as base64ToBytes would. */
function plain(body: string, place: "result.data" | "result"): unknown {
  const tree = JSON.parse(body) as unknown;
  const decode = (r: unknown) => {
    if (typeof r !== "object" || r === null || !("result" in r)) return;
    const o = place === "result" ? (r as Record<string, unknown>) : (r as { result: unknown }).result;
    const key = place === "result" ? "result" : "data";
    if (typeof o !== "object" || o === null || Array.isArray(o)) return;
    const v = (o as Record<string, unknown>)[key];
    if (typeof v === "string") (o as Record<string, unknown>)[key] = base64ToBytes(v) ?? v;
  };
  if (Array.isArray(tree)) tree.forEach(decode);
  else decode(tree);
  return tree;
}

/** Normalises Uint8Array subclasses and views so deep equality compares bytes. */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
const segment = fc.record({
  root: hex32,
  data: fc.uint8Array({ maxLength: 2000 }).map(b64),
  index: fc.nat(),
  proof: fc.record({ lemma: fc.array(hex32, { maxLength: 5 }), path: fc.array(fc.boolean(), { maxLength: 4 }) }),
  fileSize: fc.nat(),
});
const response = fc.record({ jsonrpc: fc.constant("2.0"), id: fc.nat(), result: segment });

describe("parseRPCBody", () => {
  it("equals JSON.parse + base64 for segment responses, single and batched, whatever the key order", () => {
    fc.assert(
      fc.property(fc.array(response, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.boolean(), (rs, batch, shuffle) => {
        const items = rs.map((r) =>
          shuffle ? { result: { fileSize: r.result.fileSize, data: r.result.data, ...r.result }, id: r.id, jsonrpc: "2.0" } : r,
        );
        const text = JSON.stringify(batch ? items : items[0]);
        const fast = parseRPCBody(enc(text), "result.data");
        expect(norm(fast)).toEqual(norm(plain(text, "result.data")));
        const datas = (Array.isArray(fast) ? fast : [fast]).map((r) => (r as { result: { data: unknown } }).result.data);
        for (const d of datas) expect(d).toBeInstanceOf(Uint8Array); // the fast path was taken
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it("decodes a raw segment (`result` is the base64 string)", () => {
    const data = new Uint8Array(1000).map((_, i) => i * 7);
    const out = parseRPCBody(enc(JSON.stringify({ jsonrpc: "2.0", id: 3, result: b64(data) })), "result") as { result: unknown };
    expect(out.result).toEqual(data);
  });

  it("falls back to JSON.parse for errors, nulls, escapes, whitespace and other shapes", () => {
    const d = b64(new Uint8Array([1, 2, 3, 4, 5]));
    const bodies = [
      `{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"no","data":"${d}"}}`,
      `{"jsonrpc":"2.0","id":1,"result":null}`,
      `{"jsonrpc":"2.0","id":1,"result":{"data":"AQID\\/AU="}}`,
      `{"jsonrpc":"2.0","id":1,"result":{"data": "${d}"}}`,
      `{"jsonrpc":"2.0","id":1,"result":{"x":{"data":"${d}"},"data":""}}`,
      `{"jsonrpc":"2.0","id":1,"result":{"data":"${d}","data":""}}`,
      `{"jsonrpc":"2.0","id":1,"result":{"data":"${d}","note":"\\u00000"}}`,
      `{"jsonrpc":"2.0","id":1,"result":{"data":"\\u00000"}}`,
      `{"x\\"data":"${d}","result":{"data":""}}`,
      `[{"jsonrpc":"2.0","id":1,"result":{"data":"${d}"}},{"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"m","data":"${d}"}}]`,
    ];
    // Exactly JSON.parse: strings left as strings.
    for (const text of bodies) expect(parseRPCBody(enc(text), "result.data"), text).toEqual(JSON.parse(text));
  });

  it("never returns other bytes than the plain path: bad base64 is an error-shaped string, not data", () => {
    for (const bad of ["AQID!AU=", "AQ=D", "A===", "AQI", "-_-_", "AQ\u00e9D"]) {
      const text = `{"jsonrpc":"2.0","id":1,"result":{"root":"0x00","data":"${bad}","index":0}}`;
      const fast = parseRPCBody(enc(text), "result.data") as { result: { data: unknown } };
      const slow = plain(text, "result.data") as { result: { data: unknown } };
      if (fast.result.data instanceof Uint8Array) expect(norm(fast.result.data)).toEqual(norm(slow.result.data));
      else expect(base64ToBytes(fast.result.data as string)).toBeNull();
    }
  });

  it("throws like JSON.parse on a body that is not JSON, truncated or not", () => {
    expect(() => parseRPCBody(enc("<html>"), "result.data")).toThrow(SyntaxError);
    expect(() => parseRPCBody(enc('{"jsonrpc":"2.0","id":1,"result":{"data":"AQID'), "result.data")).toThrow(SyntaxError);
  });
});
