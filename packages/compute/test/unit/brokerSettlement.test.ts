import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexToBytes } from "@zerog/core";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeSendFault } from "../../src/broker/fakeBrokerChain.js";
import { FakeBrokerChain } from "../../src/broker/fakeBrokerChain.js";
import { inferenceReceiptDigest, receiptFromJSON, requestsHashOf } from "../../src/client/chatSignature.js";
import { inferenceEip712Domain } from "../../src/client/inferenceTypedData.js";
import { chatBody, echoFee, fundedUser, get, PROVIDER, post, startBroker, type TestBroker } from "./brokerHarness.js";

const dirs: string[] = [];
const brokers: TestBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.broker.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(chain: FakeBrokerChain, dataDir: string, settlement: Record<string, unknown> = {}): Promise<TestBroker> {
  const t = await startBroker({ chain, dataDir, options: { settlement: { retryAfterMs: 0, pollMs: 5, ...settlement } } });
  brokers.push(t);
  return t;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "zg-broker-settle-"));
  dirs.push(d);
  return d;
}

/** n requests per user; returns each user's total fee. */
async function load(t: TestBroker, users: { address: string; authorization: string }[], n: number): Promise<Map<string, bigint>> {
  const fees = new Map<string, bigint>();
  await Promise.all(
    users.map(async (u, i) => {
      let fee = 0n;
      for (let k = 0; k < n; k++) {
        const content = `u${i} r${k}`;
        const r = await post(t.url, "/v1/proxy/chat/completions", chatBody(content, { stream: k % 2 === 0 }), u.authorization);
        expect(r.status).toBe(200);
        fee += echoFee(content);
      }
      fees.set(u.address, fee);
    }),
  );
  return fees;
}

function until(cond: () => boolean, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error("timed out"));
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe("settlement", () => {
  it("settleNow settles every user once, with requestsHash = keccak(concat receipt digests)", async () => {
    const chain = new FakeBrokerChain({ providerAddress: PROVIDER });
    const t = await open(chain, tempDir());
    const users = await Promise.all([0, 1, 2].map((i) => fundedUser(chain, `settle-${i}`)));
    const chatIds: string[] = [];
    for (const c of ["a", "bb", "ccc"]) {
      const r = await post(t.url, "/v1/proxy/chat/completions", chatBody(c), users[0]!.authorization);
      chatIds.push(r.headers.get("zg-res-key")!);
    }
    const fees = await load(t, users.slice(1), 3);
    const s = await t.broker.settleNow();
    expect(s).toMatchObject({ batches: 1, users: 3, remainingUsers: 0 });
    expect(chain.charged(users[0]!.address)).toBe(echoFee("a") + echoFee("bb") + echoFee("ccc"));
    for (const u of users.slice(1)) expect(chain.charged(u.address)).toBe(fees.get(u.address));
    for (const u of users) expect(t.broker.unsettledOf(u.address)).toBe(0n);
    // The user's settlement commits to its receipts, in order.
    const domain = inferenceEip712Domain(chain.chainId, chain.servingContract);
    const digests = await Promise.all(
      chatIds.map(async (id) =>
        inferenceReceiptDigest(receiptFromJSON((await get(t.url, `/v1/proxy/signature/${id}`)).json.receipt), domain),
      ),
    );
    const item = chain.settled.find((x) => x.user === users[0]!.address)!;
    expect(hexToBytes(item.requestsHash)).toEqual(requestsHashOf(digests));
    expect(item.nonce).toBeGreaterThanOrEqual(BigInt(Math.floor(Date.now() / 1000) - 5) * 10_000_000n);
    expect(chain.account(users[0]!.address)!.nonce).toBe(item.nonce);
    // Nothing left: a second call does nothing.
    expect(await t.broker.settleNow()).toMatchObject({ batches: 0, users: 0 });
    expect(chain.settled).toHaveLength(3);
  });

  it("settles on its own when a user's unsettled fees pass the threshold", async () => {
    const chain = new FakeBrokerChain({ providerAddress: PROVIDER });
    const t = await open(chain, tempDir(), { thresholdWei: echoFee("u0 r0") * 2n, checkMs: 10 });
    const [u] = await Promise.all([fundedUser(chain, "auto")]);
    const fees = await load(t, [u!], 3);
    await until(() => chain.charged(u!.address) >= echoFee("u0 r0") * 2n);
    await until(() => t.broker.unsettledOf(u!.address) < echoFee("u0 r0") * 2n);
    expect(chain.charged(u!.address) + t.broker.unsettledOf(u!.address)).toBe(fees.get(u!.address));
  });

  it("settles only the prefix of receipts the balance covers, and the rest after a top-up", async () => {
    const chain = new FakeBrokerChain({ providerAddress: PROVIDER });
    const t = await open(chain, tempDir());
    const u = await fundedUser(chain, "short");
    const contents = ["first", "second", "third"];
    for (const c of contents) await post(t.url, "/v1/proxy/chat/completions", chatBody(c), u.authorization);
    // The user's balance drops (a matured refund) below what was billed: two receipts fit.
    chain.setAccount(u.address, { balance: echoFee("first") + echoFee("second") + 1n });
    const s = await t.broker.settleNow();
    expect(s).toMatchObject({ users: 1, remainingUsers: 1 });
    expect(chain.charged(u.address)).toBe(echoFee("first") + echoFee("second"));
    expect(t.broker.unsettledOf(u.address)).toBe(echoFee("third"));
    chain.setAccount(u.address, { balance: 10n ** 18n });
    await t.broker.settleNow();
    expect(chain.charged(u.address)).toBe(echoFee("first") + echoFee("second") + echoFee("third"));
    expect(t.broker.unsettledOf(u.address)).toBe(0n);
  });

  it("a batch the chain refuses is retried user by user, without double charge", async () => {
    const chain = new FakeBrokerChain({ providerAddress: PROVIDER });
    const t = await open(chain, tempDir());
    const users = await Promise.all([0, 1, 2, 3].map((i) => fundedUser(chain, `refused-${i}`)));
    const fees = await load(t, users, 2);
    // The chain refuses one user (signer acknowledgement withdrawn): the whole batch reverts (all-or-nothing) …
    chain.setAccount(users[2]!.address, { acknowledged: false });
    chain.faults.push("revert");
    const s = await t.broker.settleNow(20);
    // … then each goes alone: the three good ones settle, the bad one stays unsettled.
    for (const [i, u] of users.entries()) {
      if (i === 2) expect(chain.charged(u.address)).toBe(0n);
      else expect(chain.charged(u.address)).toBe(fees.get(u.address));
    }
    expect(s.users).toBe(3);
    expect(t.broker.unsettledOf(users[2]!.address)).toBe(fees.get(users[2]!.address));
    const reverted = [...chain.receipts.values()].filter((r) => r.status === "reverted").length;
    expect(reverted).toBeGreaterThanOrEqual(2);
    // A send that fails on the wire is resent; still once.
    chain.setAccount(users[2]!.address, { acknowledged: true });
    chain.faults.push("drop");
    await t.broker.settleNow();
    expect(chain.charged(users[2]!.address)).toBe(fees.get(users[2]!.address));
    expect(chain.settled).toHaveLength(4);
  });

  const kills: [string, FakeSendFault | null][] = [
    ["with usage unsettled and no batch", null],
    ["after the batch is stored, before the node has it", "hang"],
    ["after the node mined it, before the broker knew", "hangAfterMining"],
  ];
  for (const [name, fault] of kills) {
    it(`killed ${name}: the restarted broker settles exactly once`, async () => {
      const chain = new FakeBrokerChain({ providerAddress: PROVIDER });
      const dataDir = tempDir();
      const t = await open(chain, dataDir);
      const users = await Promise.all([0, 1, 2].map((i) => fundedUser(chain, `kill-${i}`)));
      const fees = await load(t, users, 3);
      const r = await post(t.url, "/v1/proxy/chat/completions", chatBody("kept"), users[0]!.authorization);
      fees.set(users[0]!.address, fees.get(users[0]!.address)! + echoFee("kept"));
      if (fault) {
        chain.faults.push(fault);
        const sent = new Promise<void>((resolve) => {
          chain.onSend = () => resolve();
        });
        void t.broker.settleNow().catch(() => {});
        await sent;
      }
      // Kill: no stop, nothing drained; the same data directory is opened again.
      await t.broker.halt();
      brokers.splice(brokers.indexOf(t), 1);
      expect(chain.settled).toHaveLength(fault === "hangAfterMining" ? 3 : 0);
      const t2 = await open(chain, dataDir);
      // Until the stored batch is checked, its usage still counts as unsettled.
      for (const u of users) expect(t2.broker.unsettledOf(u.address)).toBe(fees.get(u.address));
      const sends = chain.calls.send;
      await t2.broker.settleNow();
      // A batch the node already mined is recognised by the accounts' nonces, not sent again.
      if (fault === "hangAfterMining") expect(chain.calls.send).toBe(sends);
      for (const u of users) {
        expect(chain.charged(u.address)).toBe(fees.get(u.address));
        expect(t2.broker.unsettledOf(u.address)).toBe(0n);
      }
      expect(chain.settled).toHaveLength(3);
      // Signatures outlive the restart.
      expect((await get(t2.url, `/v1/proxy/signature/${r.headers.get("zg-res-key")}`)).status).toBe(200);
      // And a third start finds nothing to do.
      await t2.broker.stop();
      brokers.splice(brokers.indexOf(t2), 1);
      const t3 = await open(chain, dataDir);
      expect(await t3.broker.settleNow()).toMatchObject({ batches: 0, remainingUsers: 0 });
      expect(chain.settled).toHaveLength(3);
    });
  }
});
