import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoFee, fundedUser, get, startBroker, type TestBroker } from "./brokerHarness.js";

describe("the official openai client against the broker", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startBroker();
  });
  afterAll(() => t.cleanup());

  it("completes chat requests with an app-sk- key, streaming and not", async () => {
    const u = await fundedUser(t.chain, "openai-user");
    const client = new OpenAI({ apiKey: u.apiKey, baseURL: `${t.url}/v1/proxy`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: "echo", messages: [{ role: "user", content: "ping" }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("echo: ping");
    expect(data.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 10 });
    const chatId = response.headers.get("zg-res-key");
    expect((await get(t.url, `/v1/proxy/signature/${chatId}`)).status).toBe(200);

    const stream = await client.chat.completions.create({
      model: "echo",
      messages: [{ role: "user", content: "stream me please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("echo: stream me please");
    expect(usage?.completion_tokens).toBe(22);
    expect(t.broker.unsettledOf(u.address)).toBe(echoFee("ping") + echoFee("stream me please"));

    const completion = await client.completions.create({ model: "echo", prompt: "legacy" });
    expect(completion.choices[0]!.text).toBe("echo: legacy");
  });

  it("surfaces the broker's errors as OpenAI errors", async () => {
    const client = new OpenAI({ apiKey: "app-sk-bm90IGEgdG9rZW4=", baseURL: `${t.url}/v1/proxy`, maxRetries: 0 });
    const e = await client.chat.completions.create({ model: "echo", messages: [{ role: "user", content: "x" }] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e.status).toBe(401);
    expect(e.error).toMatchObject({ type: "authentication_error", code: "malformed" });

    const poor = await fundedUser(t.chain, "openai-poor", 1n);
    const client2 = new OpenAI({ apiKey: poor.apiKey, baseURL: `${t.url}/v1/proxy`, maxRetries: 0 });
    const e2 = await client2.chat.completions.create({ model: "echo", messages: [{ role: "user", content: "x" }] }).catch((x) => x);
    expect(e2).toBeInstanceOf(OpenAI.APIError);
    expect(e2.status).toBe(402);
    expect(e2.message).toContain("zg compute ledger transfer");
  });
});
