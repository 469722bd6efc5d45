import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveBackend } from "../../src/broker/backends/backendServer.js";
import { EchoBackend } from "../../src/broker/backends/echoBackend.js";
import { OpenAIUpstreamBackend } from "../../src/broker/backends/openAIUpstreamBackend.js";
import {
  inferenceReceiptDigest,
  receiptFromJSON,
  recoverInferenceReceiptSigner,
  verifyChatSignature,
} from "../../src/client/chatSignature.js";
import { inferenceEip712Domain } from "../../src/client/inferenceTypedData.js";
import { createSessionToken } from "../../src/client/sessionToken.js";
import { chatBody, echoFee, fundedUser, get, keyOf, PROVIDER, post, startBroker, type TestBroker, ZG } from "./brokerHarness.js";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

describe("broker HTTP surface", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startBroker({ options: { accountCacheMs: 0, maxBodyBytes: 4096 } });
  });
  afterAll(() => t.cleanup());

  it("registers its service on start and describes it", async () => {
    const s = t.chain.services.get(PROVIDER)!;
    expect(s).toMatchObject({ model: "echo", inputPrice: 1_000n, outputPrice: 3_000n, verifiability: "", teeSignerAddress: PROVIDER });
    expect(s.stake).toBe(100n * ZG);
    expect((await get(t.url, "/health")).json).toMatchObject({ status: "ok", provider: PROVIDER });
    expect((await get(t.url, "/v1/service")).json).toMatchObject({
      provider: PROVIDER,
      model: "echo",
      inputPrice: "1000",
      outputPrice: "3000",
    });
    const models = (await get(t.url, "/v1/proxy/models")).json;
    expect(models.data[0]).toMatchObject({ id: "echo", object: "model", owned_by: PROVIDER });
    expect((await get(t.url, "/v1/nothing")).status).toBe(404);
  });

  it("tells a user (and only that user) their unsettled fees at 0G's /v1/user/:user/unsettledfee", async () => {
    const u = await fundedUser(t.chain, "unsettled-carol");
    const other = await fundedUser(t.chain, "unsettled-dave");
    const path = `/v1/user/${u.address}/unsettledfee`;
    expect(await get(t.url, path, u.authorization)).toEqual({ status: 200, json: { user: u.address.toLowerCase(), unsettledFee: "0" } });
    const body = chatBody("what do I owe?");
    expect((await post(t.url, "/v1/proxy/chat/completions", body, u.authorization)).status).toBe(200);
    const owed = (await get(t.url, path, u.authorization)).json.unsettledFee;
    expect(BigInt(owed)).toBe(t.broker.unsettledOf(u.address));
    expect(BigInt(owed)).toBeGreaterThan(0n);
    expect((await get(t.url, path, other.authorization)).status).toBe(403);
    expect((await get(t.url, path)).status).toBe(401);
  });

  it("answers, meters, signs, and serves a verifiable signature", async () => {
    const u = await fundedUser(t.chain, "alice");
    const body = chatBody("hello there");
    const r = await post(t.url, "/v1/proxy/chat/completions", body, u.authorization);
    expect(r.status).toBe(200);
    expect(r.headers.get("provider")).toBe(PROVIDER);
    const chatId = r.headers.get("zg-res-key")!;
    expect(chatId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.json().choices[0].message.content).toBe("echo: hello there");
    const sig = (await get(t.url, `/v1/proxy/signature/${chatId}`)).json;
    expect(sig.text).toBe(`${sha(body)}:${sha(r.bytes)}`);
    expect(sig.signing_algo).toBe("ecdsa");
    expect(sig.signing_address).toBe(PROVIDER);
    expect(
      verifyChatSignature({
        requestBytes: new TextEncoder().encode(body),
        responseBytes: r.bytes,
        text: sig.text,
        signature: sig.signature,
        signingAddress: PROVIDER,
      }),
    ).toBe(true);
    const receipt = receiptFromJSON(sig.receipt);
    expect(receipt).toMatchObject({
      user: u.address,
      provider: PROVIDER,
      inputTokens: 11n,
      outputTokens: 17n,
      fee: echoFee("hello there"),
    });
    expect(Buffer.from(receipt.requestHash).toString("hex")).toBe(sha(body));
    expect(Buffer.from(receipt.responseHash).toString("hex")).toBe(sha(r.bytes));
    const domain = inferenceEip712Domain(t.chain.chainId, t.chain.servingContract);
    expect(recoverInferenceReceiptSigner(receipt, domain, sig.receipt_signature)).toBe(PROVIDER);
    expect(inferenceReceiptDigest(receipt, domain)).toHaveLength(32);
    expect(t.broker.unsettledOf(u.address)).toBe(echoFee("hello there"));
    expect((await get(t.url, "/v1/proxy/signature/no-such-chat")).status).toBe(404);
  });

  it("relays a stream piece by piece and bills the usage of its last chunk", async () => {
    const slow = await startBroker({ backend: new EchoBackend({ pieceDelayMs: 30 }) });
    try {
      const u = await fundedUser(slow.chain, "streamer");
      const body = chatBody("one two three four five", { stream: true });
      const res = await fetch(`${slow.url}/v1/proxy/chat/completions`, {
        method: "POST",
        headers: { authorization: u.authorization, "content-type": "application/json" },
        body,
      });
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.getReader();
      const parts: Uint8Array[] = [];
      const arrivals: number[] = [];
      const t0 = Date.now();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        arrivals.push(Date.now() - t0);
      }
      const bytes = Buffer.concat(parts);
      const text = bytes.toString("utf8");
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
      // Pieces came as the backend produced them, not all at the end.
      expect(parts.length).toBeGreaterThan(3);
      expect(arrivals[0]!).toBeLessThan(arrivals[arrivals.length - 1]! - 60);
      const content = text
        .split("\n\n")
        .filter((e) => e.startsWith("data: {"))
        .map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? "")
        .join("");
      expect(content).toBe("echo: one two three four five");
      const sig = (await get(slow.url, `/v1/proxy/signature/${res.headers.get("zg-res-key")}`)).json;
      expect(sig.text).toBe(`${sha(body)}:${sha(bytes)}`);
      expect(sig.receipt.fee).toBe(echoFee("one two three four five").toString());
      expect(slow.broker.unsettledOf(u.address)).toBe(echoFee("one two three four five"));
    } finally {
      await slow.cleanup();
    }
  });

  it("a client that goes away mid-stream is not billed, and the backend is stopped", async () => {
    let stopped: () => void = () => {};
    const backendStopped = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    const echo = new EchoBackend({ pieceDelayMs: 20 });
    const slow = await startBroker({
      backend: {
        model: echo.model,
        close: () => echo.close(),
        handle: async (req) => {
          req.signal.addEventListener("abort", () => stopped());
          return echo.handle(req);
        },
      },
    });
    try {
      const u = await fundedUser(slow.chain, "quitter");
      const abort = new AbortController();
      const res = await fetch(`${slow.url}/v1/proxy/chat/completions`, {
        method: "POST",
        headers: { authorization: u.authorization, "content-type": "application/json" },
        body: chatBody("a b c d e f g h i j k l m n o p", { stream: true }),
        signal: abort.signal,
      });
      await res.body!.getReader().read();
      abort.abort();
      await backendStopped;
      expect(slow.broker.unsettledOf(u.address)).toBe(0n);
      expect((await post(slow.url, "/v1/proxy/chat/completions", chatBody("after"), u.authorization)).status).toBe(200);
      expect(slow.broker.unsettledOf(u.address)).toBe(echoFee("after"));
    } finally {
      await slow.cleanup();
    }
  });

  it("serves /completions", async () => {
    const u = await fundedUser(t.chain, "completer");
    const body = JSON.stringify({ model: "echo", prompt: "abc" });
    const r = await post(t.url, "/v1/proxy/completions", body, u.authorization);
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({
      object: "text_completion",
      choices: [{ text: "echo: abc" }],
      usage: { prompt_tokens: 3, completion_tokens: 9 },
    });
    expect(t.broker.unsettledOf(u.address)).toBe(3n * 1000n + 9n * 3000n);
  });

  it("401: missing, malformed, forged, expired, revoked by generation and by bit", async () => {
    const u = await fundedUser(t.chain, "bob");
    const body = chatBody("x");
    const expectError = async (authorization: string | undefined, code: string) => {
      const r = await post(t.url, "/v1/proxy/chat/completions", body, authorization);
      expect(r.status).toBe(401);
      expect(r.json().error).toMatchObject({ type: "authentication_error", code });
      expect(typeof r.json().error.message).toBe("string");
    };
    await expectError(undefined, "missing");
    await expectError("Bearer sk-openai", "malformed");
    // Signed by another key, claiming bob's address.
    const forged = await createSessionToken({ privateKey: keyOf("mallory"), provider: PROVIDER });
    const raw = forged.rawMessage.replace(
      forged.token.address,
      (await createSessionToken({ privateKey: u.key, provider: PROVIDER })).token.address,
    );
    await expectError(`Bearer app-sk-${Buffer.from(`${raw}|${forged.signature}`).toString("base64")}`, "bad_signature");
    const expired = await createSessionToken({ privateKey: u.key, provider: PROVIDER, now: Date.now() - 7_200_000, durationMs: 3_600_000 });
    await expectError(expired.authorization, "expired");
    const other = await createSessionToken({ privateKey: u.key, provider: "0x2222222222222222222222222222222222222222" });
    await expectError(other.authorization, "wrong_provider");
    // Works, then revoked on chain: all tokens (generation) …
    expect((await post(t.url, "/v1/proxy/chat/completions", body, u.authorization)).status).toBe(200);
    t.chain.setAccount(u.address, { generation: 1n });
    await expectError(u.authorization, "revoked");
    const gen1 = await createSessionToken({ privateKey: u.key, provider: PROVIDER, generation: 1 });
    expect((await post(t.url, "/v1/proxy/chat/completions", body, gen1.authorization)).status).toBe(200);
    // … or one API key by its bit.
    const apiKey = await createSessionToken({ privateKey: u.key, provider: PROVIDER, generation: 1, tokenId: 3, durationMs: 0 });
    expect((await post(t.url, "/v1/proxy/chat/completions", body, apiKey.authorization)).status).toBe(200);
    t.chain.setAccount(u.address, { revokedBitmap: 1n << 3n });
    await expectError(apiKey.authorization, "revoked");
    expect((await post(t.url, "/v1/proxy/chat/completions", body, gen1.authorization)).status).toBe(200);
  });

  it("400 on bad bodies, 413 on large ones", async () => {
    const u = await fundedUser(t.chain, "carol");
    const bad = async (body: string, status: number) => {
      const r = await post(t.url, "/v1/proxy/chat/completions", body, u.authorization);
      expect(r.status).toBe(status);
      expect(r.json().error.type).toBe("invalid_request_error");
    };
    await bad("{not json", 400);
    await bad("[1,2]", 400);
    await bad(JSON.stringify({ messages: [] }), 400);
    await bad(JSON.stringify({ model: "echo", max_tokens: -1 }), 400);
    await bad(chatBody("x".repeat(5000)), 413);
    expect(t.broker.unsettledOf(u.address)).toBe(0n);
  });

  it("402 when the sub-account cannot pay, saying how much and how to top up", async () => {
    // Admission: body bytes · inputPrice + max_tokens · outputPrice.
    const body = chatBody("hi", { max_tokens: 100 });
    const need = BigInt(body.length) * 1000n + 100n * 3000n;
    const u = await fundedUser(t.chain, "dave", need - 1n);
    const r = await post(t.url, "/v1/proxy/chat/completions", body, u.authorization);
    expect(r.status).toBe(402);
    const e = r.json().error;
    expect(e.type).toBe("insufficient_balance");
    expect(e.message).toContain("zg compute ledger transfer");
    expect(e.message).toContain("transferFund");
    expect(e.message).toContain(u.address);
    t.chain.setAccount(u.address, { balance: need });
    expect((await post(t.url, "/v1/proxy/chat/completions", body, u.authorization)).status).toBe(200);
    // What was billed now counts against the balance: the same request no longer fits.
    expect((await post(t.url, "/v1/proxy/chat/completions", body, u.authorization)).status).toBe(402);
    // A pending refund is not spendable either.
    const v = await fundedUser(t.chain, "erin", need * 2n);
    t.chain.setAccount(v.address, { pendingRefund: need * 2n });
    expect((await post(t.url, "/v1/proxy/chat/completions", body, v.authorization)).status).toBe(402);
    // No sub-account at all.
    const w = await createSessionToken({ privateKey: keyOf("nobody"), provider: PROVIDER });
    const nr = await post(t.url, "/v1/proxy/chat/completions", body, w.authorization);
    expect(nr.status).toBe(402);
    expect(nr.json().error.message).toContain("no sub-account");
  });

  it("caches accounts: a busy user, or one without a sub-account, costs a chain read per second at most", async () => {
    const c = await startBroker();
    try {
      const u = await fundedUser(c.chain, "cached");
      const nobody = await createSessionToken({ privateKey: keyOf("cached nobody"), provider: PROVIDER });
      const reads = c.chain.calls.getAccount;
      for (let i = 0; i < 20; i++) {
        expect((await post(c.url, "/v1/proxy/chat/completions", chatBody("x"), u.authorization)).status).toBe(200);
        expect((await post(c.url, "/v1/proxy/chat/completions", chatBody("x"), nobody.authorization)).status).toBe(402);
      }
      expect(c.chain.calls.getAccount - reads).toBeLessThanOrEqual(4);
    } finally {
      await c.cleanup();
    }
  });

  it("50 concurrent users each get their own answer and their own bill", async () => {
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => fundedUser(t.chain, `crowd-${i}`)));
    const rounds = 4;
    await Promise.all(
      users.map(async (u, i) => {
        for (let k = 0; k < rounds; k++) {
          const content = `user ${i} request ${k} ${"x".repeat(i)}`;
          const stream = k % 2 === 1;
          const r = await post(t.url, "/v1/proxy/chat/completions", chatBody(content, { stream }), u.authorization);
          expect(r.status).toBe(200);
          const text = Buffer.from(r.bytes).toString("utf8");
          if (!stream) expect(r.json().choices[0].message.content).toBe(`echo: ${content}`);
          else expect(text).toContain(`"usage":{"prompt_tokens":${Buffer.byteLength(content)}`);
        }
      }),
    );
    for (const [i, u] of users.entries()) {
      let fee = 0n;
      for (let k = 0; k < rounds; k++) fee += echoFee(`user ${i} request ${k} ${"x".repeat(i)}`);
      expect(t.broker.unsettledOf(u.address)).toBe(fee);
    }
  });
});

describe("OpenAI-compatible upstream behind the broker", () => {
  it("forwards the exact bytes, injects include_usage for streams, and signs what the user sent", async () => {
    const seen: Uint8Array[] = [];
    const echo = new EchoBackend();
    const upstream = await serveBackend({
      model: echo.model,
      close: () => echo.close(),
      handle: async (req) => {
        seen.push(req.body);
        if (req.json.prompt === "boom") throw new Error("upstream exploded");
        return echo.handle(req);
      },
    });
    const t = await startBroker({ backend: new OpenAIUpstreamBackend({ baseUrl: upstream.url, model: "echo" }) });
    try {
      const u = await fundedUser(t.chain, "upstream-user");
      const plain = chatBody("via upstream");
      const r1 = await post(t.url, "/v1/proxy/chat/completions", plain, u.authorization);
      expect(r1.status).toBe(200);
      expect(Buffer.from(seen[0]!).toString()).toBe(plain);
      const streamed = chatBody("streamed", { stream: true });
      const r2 = await post(t.url, "/v1/proxy/chat/completions", streamed, u.authorization);
      expect(JSON.parse(Buffer.from(seen[1]!).toString()).stream_options).toEqual({ include_usage: true });
      const sig = (await get(t.url, `/v1/proxy/signature/${r2.headers.get("zg-res-key")}`)).json;
      expect(sig.text).toBe(`${sha(streamed)}:${sha(r2.bytes)}`);
      expect(t.broker.unsettledOf(u.address)).toBe(echoFee("via upstream") + echoFee("streamed"));
      // Upstream errors are relayed as they are, not signed, not billed.
      const before = t.broker.unsettledOf(u.address);
      const r3 = await post(t.url, "/v1/proxy/completions", JSON.stringify({ model: "echo", prompt: "boom" }), u.authorization);
      expect(r3.status).toBe(500);
      expect(r3.json().error.message).toBe("upstream exploded");
      expect(r3.headers.get("zg-res-key")).toBeNull();
      expect(t.broker.unsettledOf(u.address)).toBe(before);
    } finally {
      await t.cleanup();
      await upstream.close();
    }
  });

  it("502 when the upstream is unreachable", async () => {
    const t = await startBroker({ backend: new OpenAIUpstreamBackend({ baseUrl: "http://127.0.0.1:1/v1", model: "echo" }) });
    try {
      const u = await fundedUser(t.chain, "unlucky");
      const r = await post(t.url, "/v1/proxy/chat/completions", chatBody("x"), u.authorization);
      expect(r.status).toBe(502);
      expect(r.json().error.type).toBe("server_error");
      expect(t.broker.unsettledOf(u.address)).toBe(0n);
    } finally {
      await t.cleanup();
    }
  });
});
