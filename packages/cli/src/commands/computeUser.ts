import { existsSync } from "node:fs";
import {
  askService,
  createSessionToken,
  DISPUTE_OUTCOMES,
  DisputeChain,
  inSample,
  loadModel,
  type RecordVerdict,
  RequestJournal,
  settledSince,
  verifyRecord,
} from "@zerog/compute";
import { hexToBytes } from "@zerog/core";
import type { Command } from "commander";
import { intArg } from "../config.js";
import { address, connectUser, journalDir, type UserFlags, user, userKey, zgAmount } from "./computeOptions.js";
import { badArg, print } from "./shared.js";

/** `zg compute token|ask|verify|watch|dispute`: what a user does with a provider. */
export function registerComputeUserCommands(compute: Command): void {
  user(
    compute
      .command("token")
      .argument("<provider>", "provider address")
      .description("print an app-sk-… API key for plain OpenAI clients (base URL: the service URL + /v1/proxy)")
      .option("--hours <n>", "lifetime in hours (0: no expiry, needs --token-id)", intArg("--hours", 0, 24 * 365), 24)
      .option(
        "--token-id <id>",
        "0–254: a revocable API key (revokeToken); default 255, an ephemeral key of at most 24 h",
        intArg("--token-id", 0, 255),
        255,
      ),
  ).action(async (provider: string, f: UserFlags & { hours: number; tokenId: number }) => {
    const chain = await connectUser(f, true);
    const p = address(provider, "provider");
    const service = await chain.getService(p);
    if (!service) throw badArg("provider", `${p} has no inference service on chain; list them with zg compute services`);
    if (f.tokenId === 255 && (f.hours === 0 || f.hours > 24))
      throw badArg("hours", "an ephemeral key (token id 255) lives at most 24 hours; pass --token-id 0..254 for longer");
    const account = await chain.getAccount(p);
    const t = await createSessionToken({
      privateKey: hexToBytes(userKey(f)),
      provider: p,
      durationMs: f.hours * 3_600_000,
      tokenId: f.tokenId,
      generation: Number(account?.generation ?? 0n),
    });
    const base = `${service.url.replace(/\/+$/, "")}/v1/proxy`;
    print(
      f,
      { apiKey: t.apiKey, baseURL: base, model: service.model, token: t.token },
      `${t.apiKey}\n\nbase URL  ${base}\nmodel     ${service.model}\nexpires   ${t.token.expiresAt ? new Date(t.token.expiresAt).toISOString() : "never"}${account ? "" : "\nnote: you have no sub-account with this provider yet; fund one with zg compute ledger transfer"}`,
    );
  });

  user(
    compute
      .command("ask")
      .argument("<provider>", "provider address")
      .argument("<prompt>", "what to ask")
      .description("ask a provider (streams the answer), then check its signatures against the exact bytes exchanged")
      .option("--max-tokens <n>", "longest answer, in tokens", intArg("--max-tokens", 1, 100_000), 128)
      .option("--temperature <t>", "0: greedy (default); above: sampled with --seed", "0")
      .option("--seed <n>", "sampling seed", intArg("--seed", 0), 0)
      .option("--system <text>", "a system message first")
      .option("--no-stream", "wait for the whole answer instead of streaming it")
      .option("--top-up <zg>", "when the sub-account has less than this, move this much into it from the ledger (0: never)", "1"),
  ).action(
    async (
      provider: string,
      prompt: string,
      f: UserFlags & { maxTokens: number; temperature: string; seed: number; system?: string; stream: boolean; topUp: string },
    ) => {
      const chain = await connectUser(f, true);
      const temperature = Number(f.temperature);
      if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2)
        throw badArg("temperature", "--temperature must be a number from 0 to 2");
      const topUp = zgAmount(f.topUp, "--top-up");
      const messages = [...(f.system ? [{ role: "system", content: f.system }] : []), { role: "user", content: prompt }];
      const streaming = f.stream && !f.json;
      const r = await askService(chain, {
        provider: address(provider, "provider"),
        privateKey: userKey(f),
        body: { messages, max_tokens: f.maxTokens, temperature, seed: f.seed, stream: f.stream },
        ...(streaming ? { onText: (t: string) => process.stdout.write(t) } : {}),
        topUp: { below: topUp, amount: topUp },
        journal: new RequestJournal(journalDir(f)),
      });
      const verdict = r.check.ok
        ? "verified: the provider's signatures cover exactly the bytes exchanged"
        : `NOT VERIFIED: ${r.check.problems.join("; ")}`;
      const usage = r.usage ? `${r.usage.promptTokens} prompt + ${r.usage.completionTokens} completion tokens` : "no usage reported";
      const fee = r.check.receipt ? `${r.check.receipt.fee} neuron` : "unknown";
      print(
        f,
        {
          chatId: r.chatId,
          text: r.text,
          finishReason: r.finishReason,
          usage: r.usage,
          verified: r.check.ok,
          problems: r.check.problems,
          fee,
          journal: r.journalPath,
        },
        `${streaming ? "\n" : `${r.text}\n`}\n[${r.chatId}] ${usage}, fee ${fee}, ${verdict}\nkept in ${r.journalPath}; check it again with zg compute verify ${r.chatId}`,
      );
      if (!r.check.ok) process.exitCode = 1;
    },
  );

  user(
    compute
      .command("verify")
      .argument("<request>", "a chat id kept by zg compute ask, or a record file")
      .description("check a kept answer: the provider's signatures, then (OpML services) re-execute it with the built-in model")
      .option("--dispute", "open a dispute on chain when the answer is wrong (pays the bond)"),
  ).action(async (request: string, f: UserFlags & { dispute?: boolean }) => {
    const record = existsSync(request) ? RequestJournal.read(request) : new RequestJournal(journalDir(f)).get(request);
    const chain = await connectUser(f, Boolean(f.dispute));
    const v = await verifyRecord({ record, chain, model: loadModel(), ...(f.dispute ? { disputes: new DisputeChain(chain) } : {}) });
    print(f, v, describeVerdict(v));
    if (v.verdict === "wrong" || v.verdict === "forged") process.exitCode = 1;
  });

  user(
    compute
      .command("watch")
      .description(
        "re-execute a share of your kept answers the provider has settled, and dispute the wrong ones (once, or every --interval)",
      )
      .option("--share <fraction>", "share of answers to check, 0–1", "0.1")
      .option("--unsettled", "also check answers the provider has not settled yet (default: settled ones only)")
      .option("--dispute", "open disputes for wrong answers (pays the bond each)")
      .option("--interval <s>", "repeat every s seconds (0: once)", intArg("--interval", 0), 0),
  ).action(async (f: UserFlags & { share: string; unsettled?: boolean; dispute?: boolean; interval: number }) => {
    const share = Number(f.share);
    if (!(share >= 0 && share <= 1)) throw badArg("share", "--share must be a fraction from 0 to 1");
    const chain = await connectUser(f, true);
    const journal = new RequestJournal(journalDir(f));
    const model = loadModel();
    const disputes = f.dispute ? new DisputeChain(chain) : undefined;
    // The sampling key is secret to this user, so a provider cannot predict which answers get checked.
    const key = hexToBytes(userKey(f));
    const seen = new Set<string>();
    for (;;) {
      const nonces = new Map<string, bigint>();
      for (const record of journal.list()) {
        if (seen.has(record.chatId) || !inSample(record.chatId, share, key)) continue;
        if (!f.unsettled) {
          const p = record.provider.toLowerCase();
          if (!nonces.has(p)) nonces.set(p, (await chain.getAccount(record.provider as `0x${string}`))?.nonce ?? 0n);
          if (!settledSince(record, nonces.get(p)!)) continue; // looked at again on the next pass
        }
        seen.add(record.chatId);
        const v = await verifyRecord({ record, chain, model, ...(disputes ? { disputes } : {}) });
        print(f, v, describeVerdict(v));
      }
      if (f.interval === 0) return;
      await new Promise((r) => setTimeout(r, f.interval * 1000));
    }
  });

  user(
    compute
      .command("dispute")
      .argument("<id>", "dispute id")
      .description("a dispute's state; with --resolve, close it once its deadline has passed")
      .option("--resolve", "resolve it (anyone may, after the deadline)"),
  ).action(async (id: string, f: UserFlags & { resolve?: boolean }) => {
    if (!/^[0-9]+$/.test(id)) throw badArg("id", "the dispute id is a number");
    const chain = await connectUser(f, Boolean(f.resolve));
    const disputes = new DisputeChain(chain);
    if (f.resolve) await disputes.resolve(BigInt(id));
    const d = await disputes.getDispute(BigInt(id));
    print(
      f,
      d,
      `dispute ${id} against ${d.provider}: ${DISPUTE_OUTCOMES[d.outcome] ?? d.outcome}\n  votes: provider right ${d.stakeProviderCorrect}, wrong ${d.stakeProviderWrong} of ${d.eligibleStake} eligible stake\n  deadline ${new Date(Number(d.deadline) * 1000).toISOString()}, slashed ${d.slashed}`,
    );
  });
}

function describeVerdict(v: RecordVerdict): string {
  const head = { correct: "CORRECT", wrong: "WRONG", forged: "FORGED/UNSIGNED", unverifiable: "NOT VERIFIABLE HERE" }[v.verdict];
  return `${v.chatId} (${v.provider}): ${head}${v.details.map((d) => `\n  ${d}`).join("")}${v.disputeId !== undefined ? `\n  dispute ${v.disputeId} opened; follow it with zg compute dispute ${v.disputeId}` : ""}`;
}
