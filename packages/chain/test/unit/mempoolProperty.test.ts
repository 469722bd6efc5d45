import { bytesToHex, createSilentLogger, hexToBytes, isZgError, privateKeyToAddressBytes } from "@zerog/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maxTxCost } from "../../src/execution/validateTx.js";
import { Mempool, type MempoolOptions } from "../../src/mempool/mempool.js";
import { type AccountData, emptyAccount } from "../../src/state/account.js";
import { effectiveGasPrice, effectiveTip, type SignedTx, signTx } from "../../src/tx/transaction.js";

const CHAIN_ID = 31337n;
const GWEI = 10n ** 9n;
const MAX_SENDERS = 48;
const keys = Array.from({ length: MAX_SENDERS }, (_, i) => hexToBytes(`0x${(i + 1).toString(16).padStart(64, "0")}`));
const addrs = keys.map((k) => privateKeyToAddressBytes(k));
const TO = hexToBytes(`0x${"ee".repeat(20)}`);
const FEE_CAPS = [2n, 5n, 10n, 40n, 100n].map((g) => g * GWEI);
const BASE_FEES = [1n, 4n, 9n, 30n].map((g) => g * GWEI);
const CTX_GAS = 30_000_000n;

const signed = new Map<string, SignedTx>();
function tx(sender: number, nonce: bigint, tipGwei: number, capIndex: number, valueEth: number): SignedTx {
  const key = `${sender}:${nonce}:${tipGwei}:${capIndex}:${valueEth}`;
  let t = signed.get(key);
  if (t === undefined) {
    const maxFeePerGas = FEE_CAPS[capIndex]!;
    const tip = BigInt(tipGwei) * GWEI;
    t = signTx(
      {
        type: 2,
        chainId: CHAIN_ID,
        nonce,
        maxPriorityFeePerGas: tip < maxFeePerGas ? tip : maxFeePerGas,
        maxFeePerGas,
        gasLimit: 21_000n,
        to: TO,
        value: BigInt(valueEth) * 10n ** 18n,
        data: new Uint8Array(0),
        accessList: [],
      },
      keys[sender]!,
    );
    signed.set(key, t);
  }
  return t;
}

type Op =
  | { kind: "add"; sender: number; offset: number; tip: number; cap: number; value: number }
  | { kind: "block"; count: number; baseFee: number; popEvery: number }
  | { kind: "external"; sender: number }
  | { kind: "remove"; pick: number };

const opArb = (senders: number, tips: number): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("add" as const),
        sender: fc.nat(senders - 1),
        offset: fc.integer({ min: -1, max: 6 }),
        tip: fc.nat(tips),
        cap: fc.nat(FEE_CAPS.length - 1),
        value: fc.constantFrom(0, 0, 0, 4),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("block" as const),
        count: fc.nat(6),
        baseFee: fc.nat(BASE_FEES.length - 1),
        popEvery: fc.integer({ min: 0, max: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("external" as const), sender: fc.nat(senders - 1) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat(50) }) },
  );

/** The order a naive builder would take: the best next tx over all senders' pending runs, every step. */
function referenceOrder(pool: Mempool, baseFee: bigint, arrival: Map<string, number>): SignedTx[] {
  const runs = [...pool.content().pending.values()].map((txs) => ({ txs, i: 0 }));
  const out: SignedTx[] = [];
  for (;;) {
    let best: { txs: SignedTx[]; i: number } | undefined;
    for (const run of runs) {
      const t = run.txs[run.i];
      if (t === undefined || t.maxFeePerGas < baseFee) continue;
      if (best === undefined) {
        best = run;
        continue;
      }
      const b = best.txs[best.i]!;
      const [tt, bt] = [effectiveTip(t, baseFee), effectiveTip(b, baseFee)];
      if (tt > bt || (tt === bt && arrival.get(bytesToHex(t.hash))! < arrival.get(bytesToHex(b.hash))!)) best = run;
    }
    if (best === undefined) return out;
    out.push(best.txs[best.i]!);
    best.i++;
  }
}

function checkInvariants(pool: Mempool, options: MempoolOptions, state: Map<string, AccountData>, arrival: Map<string, number>): void {
  const { pending, queued } = pool.content();
  let nPending = 0;
  let nQueued = 0;
  let bytes = 0;
  for (const a of addrs.slice(0, state.size)) {
    const key = bytesToHex(a);
    const acct = state.get(key)!;
    const p = pending.get(key) ?? [];
    const q = queued.get(key) ?? [];
    nPending += p.length;
    nQueued += q.length;
    expect(p.map((t) => t.nonce)).toEqual(p.map((_, i) => acct.nonce + BigInt(i)));
    const end = acct.nonce + BigInt(p.length);
    q.forEach((t, i) => {
      expect(t.nonce).toBeGreaterThan(i === 0 ? end : q[i - 1]!.nonce);
      expect(t.nonce - acct.nonce).toBeLessThanOrEqual(BigInt(options.maxNonceGap));
    });
    for (const t of [...p, ...q]) {
      expect(maxTxCost(t)).toBeLessThanOrEqual(acct.balance);
      bytes += t.raw.length;
    }
    expect(p.length + q.length).toBeLessThanOrEqual(options.maxTxsPerSender);
    expect(pool.pendingNonce(a)).toBe(end);
  }
  expect(pool.status()).toEqual({ pending: nPending, queued: nQueued });
  expect(pool.size).toBe(nPending + nQueued);
  expect(pool.size).toBeLessThanOrEqual(options.maxTxs);
  expect(bytes).toBeLessThanOrEqual(options.maxBytes);

  for (const baseFee of BASE_FEES) {
    const yielded: SignedTx[] = [];
    const it = pool.candidates(baseFee);
    for (let t = it.peek(); t !== undefined; t = it.peek()) {
      yielded.push(t);
      it.shift();
    }
    const next = new Map<string, bigint>();
    for (const t of yielded) {
      const key = bytesToHex(t.sender);
      expect(t.nonce).toBe(next.get(key) ?? state.get(key)!.nonce);
      expect(t.maxFeePerGas).toBeGreaterThanOrEqual(baseFee);
      next.set(key, t.nonce + 1n);
    }
    expect(yielded).toEqual(referenceOrder(pool, baseFee, arrival));
  }
}

function run(options: MempoolOptions, ops: Op[], senders: number): void {
  const state = new Map<string, AccountData>();
  for (const a of addrs.slice(0, senders)) state.set(bytesToHex(a), { ...emptyAccount(), balance: 10n * 10n ** 18n });
  const pool = new Mempool(options, {
    getAccount: (a) => state.get(bytesToHex(a)),
    chainId: CHAIN_ID,
    logger: createSilentLogger(),
    metrics: null,
  });
  const arrival = new Map<string, number>();
  let arrivals = 0;
  const commit = (txs: SignedTx[], baseFee: bigint): void => {
    for (const t of txs) {
      const acct = state.get(bytesToHex(t.sender))!;
      acct.nonce = t.nonce + 1n;
      acct.balance -= t.value + t.gasLimit * effectiveGasPrice(t, baseFee);
    }
    pool.onBlock(txs);
  };
  for (const op of ops) {
    if (op.kind === "add") {
      const acct = state.get(bytesToHex(addrs[op.sender]!))!;
      const nonce = acct.nonce + BigInt(op.offset);
      const t = tx(op.sender, nonce < 0n ? 0n : nonce, op.tip, op.cap, op.value);
      try {
        pool.add(t, { baseFee: GWEI, blockGasLimit: CTX_GAS });
        arrival.set(bytesToHex(t.hash), arrivals++);
      } catch (e) {
        if (!isZgError(e)) throw e;
      }
    } else if (op.kind === "block") {
      const baseFee = BASE_FEES[op.baseFee]!;
      const it = pool.candidates(baseFee);
      const included: SignedTx[] = [];
      for (let t = it.peek(); t !== undefined && included.length < op.count; t = it.peek()) {
        if (op.popEvery > 0 && (included.length + 1) % op.popEvery === 0) {
          it.pop();
          continue;
        }
        included.push(t);
        it.shift();
      }
      commit(included, baseFee);
    } else if (op.kind === "external") {
      const acct = state.get(bytesToHex(addrs[op.sender]!))!;
      commit([tx(op.sender, acct.nonce, 7, 4, 0)], GWEI);
    } else {
      const all = [...pool.content().pending.values(), ...pool.content().queued.values()].flat();
      if (all.length > 0) pool.remove(all[op.pick % all.length]!.hash);
    }
    checkInvariants(pool, options, state, arrival);
  }
}

describe("Mempool properties", () => {
  it("keeps nonce runs contiguous, limits, and the builder's order under random adds and blocks", () => {
    const optionsArb = fc.record({
      maxTxs: fc.integer({ min: 3, max: 12 }),
      maxBytes: fc.constantFrom(100_000, 1_200, 700),
      maxTxsPerSender: fc.integer({ min: 2, max: 6 }),
      maxNonceGap: fc.integer({ min: 2, max: 6 }),
      priceBumpPercent: fc.constant(10),
    });
    fc.assert(
      fc.property(optionsArb, fc.array(opArb(4, 8), { minLength: 1, maxLength: 40 }), (options, ops) => run(options, ops, 4)),
      { seed: 20_250_101, numRuns: 150 },
    );
  });

  it("matches a naive builder with many senders and tied prices", () => {
    const options: MempoolOptions = { maxTxs: 80, maxBytes: 100_000, maxTxsPerSender: 4, maxNonceGap: 4, priceBumpPercent: 10 };
    fc.assert(
      fc.property(fc.array(opArb(MAX_SENDERS, 2), { minLength: 20, maxLength: 120 }), (ops) => run(options, ops, MAX_SENDERS)),
      { seed: 20_250_102, numRuns: 25 },
    );
  });
});
