import { getBytes, hashMessage, keccak256, recoverAddress, toUtf8Bytes, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { createSessionToken, parseSessionToken, verifySessionToken, verifySessionTokenSignature } from "../../src/client/sessionToken.js";
import { ComputeError } from "../../src/errors.js";

const USER_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const OTHER_KEY = "0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f";
const PROVIDER = "0x1111111111111111111111111111111111111111";
const NOW = 1_760_000_000_000;
const key = (h: string) => getBytes(h);
const account = { generation: 0n, revokedBitmap: 0n };

async function ethersToken(wallet: Wallet, fields: Record<string, unknown>): Promise<{ raw: string; sig: string; header: string }> {
  const raw = JSON.stringify(fields);
  const sig = await wallet.signMessage(getBytes(keccak256(toUtf8Bytes(raw))));
  return { raw, sig, header: `Bearer app-sk-${Buffer.from(`${raw}|${sig}`, "utf8").toString("base64")}` };
}

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ComputeError);
    return ((e as ComputeError).type as { reason?: string }).reason ?? (e as ComputeError).code;
  }
  throw new Error("did not throw");
}

describe("session tokens (0G v3)", () => {
  it("a token made with ethers verifies with ours", async () => {
    const wallet = new Wallet(USER_KEY);
    const t = await ethersToken(wallet, {
      address: wallet.address,
      provider: PROVIDER,
      timestamp: NOW,
      expiresAt: NOW + 3_600_000,
      nonce: "a1b2c3d4e5f60718",
      generation: 0,
      tokenId: 255,
    });
    const parsed = parseSessionToken(t.header);
    expect(parsed.rawMessage).toBe(t.raw);
    expect(verifySessionToken(parsed, { provider: PROVIDER, now: NOW + 1000, account })).toBe(wallet.address.toLowerCase());
  });

  it("ours is byte-identical to ethers' and verifies with ethers", async () => {
    const wallet = new Wallet(USER_KEY);
    const ours = await createSessionToken({ privateKey: key(USER_KEY), provider: PROVIDER, now: NOW, nonce: "00ff00ff00ff00ff" });
    expect(Object.keys(ours.token)).toEqual(["address", "provider", "timestamp", "expiresAt", "nonce", "generation", "tokenId"]);
    expect(ours.rawMessage).toBe(JSON.stringify(ours.token));
    expect(ours.token.address).toBe(wallet.address);
    expect(ours.token.expiresAt - ours.token.timestamp).toBe(86_400_000);
    const theirs = await ethersToken(wallet, ours.token as unknown as Record<string, unknown>);
    expect(ours.signature).toBe(theirs.sig);
    expect(ours.authorization).toBe(theirs.header);
    expect(ours.authorization).toBe(`Bearer ${ours.apiKey}`);
    expect(recoverAddress(hashMessage(getBytes(keccak256(toUtf8Bytes(ours.rawMessage)))), ours.signature)).toBe(wallet.address);
    // An ethers Wallet is a signer too: same bytes.
    const viaSigner = await createSessionToken({ signer: wallet, provider: PROVIDER, now: NOW, nonce: "00ff00ff00ff00ff" });
    expect(viaSigner.apiKey).toBe(ours.apiKey);
  });

  it("refuses missing and malformed headers", () => {
    expect(reasonOf(() => parseSessionToken(undefined))).toBe("missing");
    expect(reasonOf(() => parseSessionToken(""))).toBe("missing");
    expect(reasonOf(() => parseSessionToken("Basic abc"))).toBe("malformed");
    expect(reasonOf(() => parseSessionToken("Bearer sk-123"))).toBe("malformed");
    expect(reasonOf(() => parseSessionToken("Bearer app-sk-%%%"))).toBe("malformed");
    const b64 = (s: string) => `Bearer app-sk-${Buffer.from(s).toString("base64")}`;
    const sig = `0x${"11".repeat(65)}`;
    expect(reasonOf(() => parseSessionToken(b64("no bar here")))).toBe("malformed");
    expect(reasonOf(() => parseSessionToken(b64(`not json|${sig}`)))).toBe("malformed");
    expect(reasonOf(() => parseSessionToken(b64(`[1]|${sig}`)))).toBe("malformed");
    const good = { address: PROVIDER, provider: PROVIDER, timestamp: 1, expiresAt: 2, nonce: "x", generation: 0, tokenId: 255 };
    expect(() => parseSessionToken(b64(`${JSON.stringify(good)}|${sig}`))).not.toThrow();
    expect(reasonOf(() => parseSessionToken(b64(`${JSON.stringify(good)}|0x1234`)))).toBe("malformed");
    for (const [k, v] of Object.entries({
      address: "0x12",
      provider: 5,
      timestamp: -1,
      expiresAt: 1.5,
      nonce: 7,
      generation: "0",
      tokenId: 256,
    })) {
      expect(reasonOf(() => parseSessionToken(b64(`${JSON.stringify({ ...good, [k]: v })}|${sig}`)))).toBe("malformed");
    }
    // generation and tokenId may be absent (older SDKs): 0 and 255.
    const { generation: _g, tokenId: _t, ...old } = good;
    expect(parseSessionToken(b64(`${JSON.stringify(old)}|${sig}`)).token).toMatchObject({ generation: 0, tokenId: 255 });
  });

  it("splits at the first '|' (0G's rule): a '|' inside the JSON breaks the token", async () => {
    const t = await createSessionToken({ privateKey: key(USER_KEY), provider: PROVIDER, now: NOW, nonce: "a|b" });
    expect(reasonOf(() => parseSessionToken(t.authorization))).toBe("malformed");
  });

  it("refuses forged, expired, wrong-provider, over-long, revoked tokens", async () => {
    const make = (o: Partial<Parameters<typeof createSessionToken>[0]> = {}) =>
      createSessionToken({ privateKey: key(USER_KEY), provider: PROVIDER, now: NOW, ...o });
    const v = (header: string, o: { now?: number; generation?: bigint; revokedBitmap?: bigint; provider?: string } = {}) =>
      reasonOf(() =>
        verifySessionToken(parseSessionToken(header), {
          provider: o.provider ?? PROVIDER,
          now: o.now ?? NOW + 1,
          account: { generation: o.generation ?? 0n, revokedBitmap: o.revokedBitmap ?? 0n },
        }),
      );
    // Forged: another key signs a token that claims the user's address.
    const wallet = new Wallet(USER_KEY);
    const forged = await ethersToken(new Wallet(OTHER_KEY), {
      address: wallet.address,
      provider: PROVIDER,
      timestamp: NOW,
      expiresAt: NOW + 1000,
      nonce: "n",
      generation: 0,
      tokenId: 255,
    });
    expect(v(forged.header)).toBe("bad_signature");
    // Altered after signing.
    const good = await make();
    const altered = good.rawMessage.replace(`"generation":0`, `"generation":1`);
    const alteredHeader = `Bearer app-sk-${Buffer.from(`${altered}|${good.signature}`).toString("base64")}`;
    expect(v(alteredHeader, { generation: 1n })).toBe("bad_signature");
    expect(v(good.authorization, { provider: "0x2222222222222222222222222222222222222222" })).toBe("wrong_provider");
    expect(v(good.authorization, { now: NOW + 86_400_001 })).toBe("expired");
    expect(v(good.authorization, { generation: 1n })).toBe("revoked");
    // Ephemeral tokens last at most 24 h; API keys may last longer and are revoked by bit.
    await expect(make({ durationMs: 86_400_001 })).rejects.toThrow(/24 h/);
    const longEphemeral = await ethersToken(wallet, {
      address: wallet.address,
      provider: PROVIDER,
      timestamp: NOW,
      expiresAt: NOW + 86_400_001,
      nonce: "n",
      generation: 0,
      tokenId: 255,
    });
    expect(v(longEphemeral.header)).toBe("lifetime_too_long");
    const apiKey = await make({ tokenId: 7, durationMs: 0 });
    expect(apiKey.token.expiresAt).toBe(0);
    expect(verifySessionToken(parseSessionToken(apiKey.authorization), { provider: PROVIDER, now: NOW * 2, account })).toBe(
      wallet.address.toLowerCase(),
    );
    expect(v(apiKey.authorization, { revokedBitmap: 1n << 7n })).toBe("revoked");
    expect(() =>
      verifySessionToken(parseSessionToken(apiKey.authorization), {
        provider: PROVIDER,
        account: { generation: 0, revokedBitmap: 1n << 6n },
      }),
    ).not.toThrow();
    // Case of addresses does not matter.
    expect(verifySessionTokenSignature(parseSessionToken(good.authorization))).toBe(wallet.address.toLowerCase());
    expect(() =>
      verifySessionToken(parseSessionToken(good.authorization), {
        provider: PROVIDER.toUpperCase().replace("0X", "0x"),
        now: NOW,
        account,
      }),
    ).not.toThrow();
  });
});
