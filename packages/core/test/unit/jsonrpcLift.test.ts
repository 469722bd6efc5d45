import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RpcDispatcher } from "../../src/jsonrpc/dispatcher.js";
import { LIFT_MIN_BYTES, liftLongStrings, RawJSONString } from "../../src/jsonrpc/liftStrings.js";
import { p } from "../../src/jsonrpc/params.js";

const dispatcher = new RpcDispatcher(10, { logger: pino({ level: "silent" }), metrics: null });
/** Describes what the handler got: "raw:<len>" for a RawJSONString, "str:<len>" for a string, recursively. */
const describeValue = (v: unknown): unknown =>
  v instanceof RawJSONString
    ? `raw:${v.bytes.length}`
    : typeof v === "string"
      ? `str:${v.length}`
      : Array.isArray(v)
        ? v.map(describeValue)
        : typeof v === "object" && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describeValue(x)]))
          : v;
dispatcher.register("lifted", { rawStrings: true, params: [p.any()], handler: ([v]) => describeValue(v) });
dispatcher.register("plain", { params: [p.any()], handler: ([v]) => describeValue(v) });
dispatcher.register("content", {
  rawStrings: true,
  params: [p.any()],
  handler: ([v]) => (v instanceof RawJSONString ? v.toString() : v),
});

const long = "A".repeat(LIFT_MIN_BYTES);
const call = async (body: unknown) => {
  const out = await dispatcher.handleBody(Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), { transport: "http" });
  return out === null ? null : JSON.parse(out.toString());
};
const req = (id: unknown, method: string, params: unknown) => ({ jsonrpc: "2.0", id, method, params });

describe("long string params (rawStrings)", () => {
  it("hands long literals as bytes to rawStrings methods, anywhere in the params; short ones stay strings", async () => {
    const params = [{ data: long, short: "x", list: [long, 1, `${long}B`] }];
    const n = LIFT_MIN_BYTES;
    expect((await call(req(1, "lifted", params))).result).toEqual({
      data: `raw:${n}`,
      short: "str:1",
      list: [`raw:${n}`, 1, `raw:${n + 1}`],
    });
    expect((await call(req(2, "content", [`${long}é`]))).result).toBe(`${long}é`);
  });

  it("leaves other methods, escaped literals and just-too-short literals as strings", async () => {
    expect((await call(req(1, "plain", [long]))).result).toBe(`str:${LIFT_MIN_BYTES}`);
    expect((await call(req(2, "lifted", [`${long}\n`]))).result).toBe(`str:${LIFT_MIN_BYTES + 1}`);
    expect((await call(req(3, "lifted", [long.slice(1)]))).result).toBe(`str:${LIFT_MIN_BYTES - 1}`);
  });

  it("parses the whole body as it is when a long literal is outside rawStrings params", async () => {
    const batch = await call([req(1, "lifted", [long]), req(2, "plain", [long])]);
    expect(batch.map((r: { result: unknown }) => r.result)).toEqual([`str:${LIFT_MIN_BYTES}`, `str:${LIFT_MIN_BYTES}`]);
    const both = await call([req(1, "lifted", [long]), req(2, "lifted", [long])]);
    expect(both.map((r: { result: unknown }) => r.result)).toEqual([`raw:${LIFT_MIN_BYTES}`, `raw:${LIFT_MIN_BYTES}`]);
    expect(await call(req(long, "lifted", [1]))).toEqual({ jsonrpc: "2.0", id: long, result: 1 });
    expect((await call({ jsonrpc: "2.0", id: 1, method: "lifted", params: [{ [long]: 1 }] })).result).toEqual({ [long]: 1 });
  });

  it("cannot be fooled by a marker written by the client", async () => {
    // "\u00000" is what a lifted literal becomes; a client-sent one makes the whole body parse as it is.
    const out = await call(req(1, "lifted", [["\u00000", long]]));
    expect(out.result).toEqual(["str:2", `str:${LIFT_MIN_BYTES}`]);
    expect((await call(req(1, "content", [["\u00000", long]]))).result).toEqual(["\u00000", long]);
  });

  it("answers invalid JSON with the same parse error as before", async () => {
    const bad = `{"jsonrpc":"2.0","id":1,"method":"lifted","params":["${long}"`;
    const out = await call(bad);
    let message = "";
    try {
      JSON.parse(bad);
    } catch (e) {
      message = `parse error: ${(e as Error).message.slice(0, 200)}`;
    }
    expect(out).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32700, message } });
    // Documented leniency: a lifted literal's bytes are not checked for raw control characters (the method validates
    // its content, as base64 decoding does); outside rawStrings methods JSON.parse rejects them as before.
    const control = (method: string) => `{"jsonrpc":"2.0","id":1,"method":"${method}","params":["${long}\u0001"]}`;
    expect((await call(control("lifted"))).result).toBe(`raw:${LIFT_MIN_BYTES + 1}`);
    expect((await call(control("plain"))).error.code).toBe(-32700);
  });

  it("finds literal boundaries across escaped quotes", () => {
    const body = Buffer.from(JSON.stringify({ a: 'x\\"y"', b: long, c: '\\\\"' }));
    const lifted = liftLongStrings(body);
    expect(lifted?.spans.map((s) => s.toString())).toEqual([long]);
    expect(JSON.parse(lifted!.text)).toEqual({ a: 'x\\"y"', b: "\u00000", c: '\\\\"' });
  });
});
