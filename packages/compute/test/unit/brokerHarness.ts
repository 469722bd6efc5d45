import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, createSilentLogger, type Hex, keccak256, privateKeyToAddressBytes, utf8ToBytes } from "@zerog/core";
import type { ModelBackend } from "../../src/backend.js";
import { EchoBackend } from "../../src/broker/backends/echoBackend.js";
import { Broker, type BrokerOptions } from "../../src/broker/broker.js";
import { FakeBrokerChain } from "../../src/broker/fakeBrokerChain.js";
import { createSessionToken } from "../../src/client/sessionToken.js";

export const ZG = 10n ** 18n;

/** A deterministic private key per label. */
export function keyOf(label: string): Uint8Array {
  return keccak256(utf8ToBytes(`zerog broker test ${label}`));
}

export function addressOf(key: Uint8Array): Hex {
  return bytesToHex(privateKeyToAddressBytes(key));
}

export const PROVIDER_KEY = keyOf("provider");
export const PROVIDER = addressOf(PROVIDER_KEY);

export interface TestBroker {
  broker: Broker;
  chain: FakeBrokerChain;
  url: string;
  dataDir: string;
  /** Stops the broker (if running) and removes its data directory. */
  cleanup(): Promise<void>;
}

export async function startBroker(
  o: { options?: Partial<BrokerOptions>; chain?: FakeBrokerChain; backend?: ModelBackend; dataDir?: string } = {},
): Promise<TestBroker> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), "zg-broker-"));
  const chain = o.chain ?? new FakeBrokerChain({ providerAddress: PROVIDER });
  const broker = new Broker(
    {
      port: 0,
      dataDir,
      inputPrice: 1_000n,
      outputPrice: 3_000n,
      ...o.options,
      settlement: { checkMs: 3_600_000, intervalMs: 3_600_000, thresholdWei: 10n ** 30n, ...o.options?.settlement },
    },
    { chain, backend: o.backend ?? new EchoBackend(), signerKey: PROVIDER_KEY, logger: createSilentLogger() },
  );
  await broker.start();
  return {
    broker,
    chain,
    url: broker.url,
    dataDir,
    cleanup: async () => {
      await broker.stop();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A funded user: sub-account on the fake chain and a session token. */
export async function fundedUser(
  chain: FakeBrokerChain,
  label: string,
  balance = ZG,
  token: Partial<Parameters<typeof createSessionToken>[0]> = {},
): Promise<{ key: Uint8Array; address: Hex; authorization: string; apiKey: string }> {
  const key = keyOf(label);
  const address = addressOf(key);
  chain.setAccount(address, { balance });
  const t = await createSessionToken({ privateKey: key, provider: PROVIDER, ...token });
  return { key, address, authorization: t.authorization, apiKey: t.apiKey };
}

export function chatBody(content: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: "echo", messages: [{ role: "user", content }], ...extra });
}

export async function post(
  url: string,
  path: string,
  body: string | Uint8Array,
  authorization?: string,
): Promise<{ status: number; headers: Headers; bytes: Uint8Array; json: () => any }> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, json: () => JSON.parse(Buffer.from(bytes).toString("utf8")) };
}

export async function get(url: string, path: string, authorization?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, authorization ? { headers: { authorization } } : {});
  return { status: res.status, json: await res.json() };
}

/** What the echo backend bills for one chat message (1 byte = 1 token; prices 1000 / 3000 wei). */
export function echoFee(content: string, inputPrice = 1_000n, outputPrice = 3_000n): bigint {
  const p = BigInt(Buffer.byteLength(content));
  const c = BigInt(Buffer.byteLength(`echo: ${content}`));
  return p * inputPrice + c * outputPrice;
}
