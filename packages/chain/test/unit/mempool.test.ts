import { bytesToHex, createSilentLogger, hexToBytes, keccak256, Metrics, privateKeyToAddressBytes, ZgError } from "@zerog/core";
import { describe, expect, it } from "vitest";
import { MempoolErrorCode, TxErrorCode } from "../../src/errors.js";
import { Mempool, type MempoolOptions } from "../../src/mempool/mempool.js";
import type { TxCandidates } from "../../src/mempool/priorityIterator.js";
import { type AccountData, emptyAccount } from "../../src/state/account.js";
import { type SignedTx, signTx, type UnsignedTx } from "../../src/tx/transaction.js";

const CHAIN_ID = 31337n;
const GWEI = 10n ** 9n;
const FUND = 10n ** 21n;
const keys = Array.from({ length: 8 }, (_, i) => hexToBytes(`0x${(i + 1).toString(16).padStart(64, "0")}`));
const addrs = keys.map((k) => privateKeyToAddressBytes(k));
const [A, B, C, D] = [0, 1, 2, 3];
const CTX = { baseFee: GWEI, blockGasLimit: 30_000_000n };

function mkTx(sender: number, nonce: bigint, fields: Partial<UnsignedTx> = {}): SignedTx {
  const tx: UnsignedTx = {
    type: 2,
    chainId: CHAIN_ID,
    nonce,
    maxPriorityFeePerGas: 2n * GWEI,
    maxFeePerGas: 100n * GWEI,
    gasLimit: 21_000n,
    to: addrs[7]!,
    value: 0n,
    data: new Uint8Array(0),
    accessList: [],
    ...fields,
  };
  return signTx(tx, keys[sender]!);
}

/** A tx with the given priority fee (gwei) and a fee cap 100 times that, so it pays its whole tip. */
function tipTx(sender: number, nonce: bigint, tipGwei: bigint, fields: Partial<UnsignedTx> = {}): SignedTx {
  return mkTx(sender, nonce, { maxPriorityFeePerGas: tipGwei * GWEI, maxFeePerGas: tipGwei * 100n * GWEI, ...fields });
}

function setup(options: Partial<MempoolOptions> = {}, metrics: Metrics | null = null) {
  const state = new Map<string, AccountData>();
  for (const a of addrs) state.set(bytesToHex(a), { ...emptyAccount(), balance: FUND });
  const account = (i: number): AccountData => state.get(bytesToHex(addrs[i]!))!;
  const pool = new Mempool(options, {
    getAccount: (a) => state.get(bytesToHex(a)),
    chainId: CHAIN_ID,
    logger: createSilentLogger(),
    metrics,
  });
  /** Commits `txs` as a block would: nonces advance, balances pay value + gas at the fee cap. */
  const commit = (txs: SignedTx[]): void => {
    for (const tx of txs) {
      const acct = state.get(bytesToHex(tx.sender))!;
      acct.nonce = tx.nonce + 1n;
      acct.balance -= tx.value + tx.gasLimit * tx.maxFeePerGas;
    }
    pool.onBlock(txs);
  };
  return { pool, state, account, commit };
}

function drain(it: TxCandidates): SignedTx[] {
  const out: SignedTx[] = [];
  for (let tx = it.peek(); tx !== undefined; tx = it.peek()) {
    out.push(tx);
    it.shift();
  }
  return out;
}

/** "A0"-style labels: sender letter and nonce. */
function labels(txs: SignedTx[]): string[] {
  return txs.map((tx) => `${"ABCDEFGH"[addrs.findIndex((a) => bytesToHex(a) === bytesToHex(tx.sender))]}${tx.nonce}`);
}

function expectRejected(fn: () => unknown, code: string, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ZgError);
  const err = caught as ZgError<{ code: string }>;
  expect(err.code).toBe(code);
  if (typeof message === "string") expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
}

function poolBytes(pool: Mempool): number {
  const { pending, queued } = pool.content();
  let n = 0;
  for (const txs of [...pending.values(), ...queued.values()]) for (const tx of txs) n += tx.raw.length;
  return n;
}

describe("Mempool admission", () => {
  it("lists each sender's next executable transaction, and none for a sender with only a gap", () => {
    const { pool, commit } = setup();
    const a0 = mkTx(A, 0n);
    const a1 = mkTx(A, 1n);
    const b2 = mkTx(B, 2n); // B's nonce is 0: queued behind a gap
    const c0 = mkTx(C, 0n);
    for (const tx of [a1, a0, b2, c0]) pool.add(tx, CTX);
    const heads = () =>
      pool
        .pendingHeads()
        .map((t) => bytesToHex(t.hash))
        .sort();
    expect(heads()).toEqual([a0, c0].map((t) => bytesToHex(t.hash)).sort());
    commit([a0]);
    expect(heads()).toEqual([a1, c0].map((t) => bytesToHex(t.hash)).sort());
  });

  it("refuses what validateTxStatic refuses, with geth's messages", () => {
    const { pool } = setup();
    expectRejected(
      () => pool.add(mkTx(A, 0n, { chainId: 1n }), CTX),
      TxErrorCode.WRONG_CHAIN_ID,
      "invalid chain id for signer: have 1 want 31337",
    );
    expectRejected(
      () => pool.add(mkTx(A, 0n, { maxPriorityFeePerGas: 5n, maxFeePerGas: 4n }), CTX),
      TxErrorCode.TIP_ABOVE_FEE_CAP,
      "max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas 5, maxFeePerGas 4",
    );
    expectRejected(
      () => pool.add(mkTx(A, 0n, { gasLimit: 30_000_001n }), CTX),
      TxErrorCode.GAS_LIMIT_EXCEEDS_BLOCK,
      "exceeds block gas limit: gas 30000001, block gas limit 30000000",
    );
    expectRejected(
      () => pool.add(mkTx(A, 0n, { gasLimit: 20_999n }), CTX),
      TxErrorCode.INTRINSIC_GAS_TOO_LOW,
      "intrinsic gas too low: gas 20999, minimum needed 21000",
    );
    expectRejected(
      () => pool.add(mkTx(A, 0n, { to: null, data: new Uint8Array(49_153), gasLimit: 1_000_000n }), CTX),
      TxErrorCode.INITCODE_TOO_LARGE,
      "max initcode size exceeded: code size 49153, limit 49152",
    );
    expect(pool.size).toBe(0);
  });

  it("refuses a tx it already holds before looking at the account", () => {
    const { pool, account } = setup();
    const tx = mkTx(A, 0n);
    pool.add(tx, CTX);
    account(A).balance = 0n;
    expectRejected(() => pool.add(tx, CTX), MempoolErrorCode.ALREADY_KNOWN, "already known");
  });

  it("refuses what validateTxAgainstAccount refuses", () => {
    const { pool, account } = setup();
    account(A).nonce = 5n;
    expectRejected(() => pool.add(mkTx(A, 3n), CTX), TxErrorCode.NONCE_TOO_LOW, "nonce too low: next nonce 5, tx nonce 3");
    account(B).codeHash = keccak256(Uint8Array.of(0x60));
    expectRejected(() => pool.add(mkTx(B, 0n), CTX), TxErrorCode.SENDER_NOT_EOA, /^sender not an eoa/);
    expectRejected(
      () => pool.add(mkTx(C, 0n, { maxFeePerGas: 10n * GWEI }), { ...CTX, baseFee: 20n * GWEI }),
      TxErrorCode.FEE_CAP_BELOW_BASE_FEE,
      "max fee per gas less than block base fee: maxFeePerGas 10000000000, baseFee 20000000000",
    );
    account(D).balance = 21_000n * 100n * GWEI - 1n;
    expectRejected(
      () => pool.add(mkTx(D, 0n), CTX),
      TxErrorCode.INSUFFICIENT_FUNDS,
      "insufficient funds for gas * price + value: balance 2099999999999999, tx cost 2100000000000000, overshot 1",
    );
    expect(pool.size).toBe(0);
  });

  it("refuses a nonce more than maxNonceGap above the account nonce", () => {
    const { pool, account } = setup({ maxNonceGap: 10 });
    account(A).nonce = 3n;
    expectRejected(
      () => pool.add(mkTx(A, 14n), CTX),
      MempoolErrorCode.NONCE_GAP_TOO_LARGE,
      "nonce too high: next nonce 3, tx nonce 14, max gap 10",
    );
    expect(pool.add(mkTx(A, 13n), CTX).status).toBe("queued");
  });

  it("replaces a tx only when both fee fields rise by priceBumpPercent", () => {
    const { pool } = setup();
    const old = mkTx(A, 0n, { maxPriorityFeePerGas: 10n * GWEI, maxFeePerGas: 100n * GWEI });
    pool.add(old, CTX);
    const plus9 = mkTx(A, 0n, { maxPriorityFeePerGas: 10_900_000_000n, maxFeePerGas: 109n * GWEI });
    expectRejected(() => pool.add(plus9, CTX), MempoolErrorCode.REPLACEMENT_UNDERPRICED, "replacement transaction underpriced");
    const feeCapOnly = mkTx(A, 0n, { maxPriorityFeePerGas: 10n * GWEI, maxFeePerGas: 200n * GWEI });
    expectRejected(() => pool.add(feeCapOnly, CTX), MempoolErrorCode.REPLACEMENT_UNDERPRICED, "replacement transaction underpriced");
    const plus10 = mkTx(A, 0n, { maxPriorityFeePerGas: 11n * GWEI, maxFeePerGas: 110n * GWEI });
    const res = pool.add(plus10, CTX);
    expect(res).toEqual({ status: "pending", replaced: old });
    expect(pool.size).toBe(1);
    expect(pool.has(old.hash)).toBe(false);
    expect(pool.get(plus10.hash)).toBe(plus10);
    expect(drain(pool.candidates(GWEI))).toEqual([plus10]);
  });

  it("keeps a replaced queued tx queued", () => {
    const { pool } = setup();
    pool.add(tipTx(A, 2n, 1n), CTX);
    const res = pool.add(tipTx(A, 2n, 2n), CTX);
    expect(res.status).toBe("queued");
    expect(pool.status()).toEqual({ pending: 0, queued: 1 });
  });

  it("limits txs per sender, but still takes replacements", () => {
    const { pool } = setup({ maxTxsPerSender: 3 });
    for (const n of [0n, 1n, 5n]) pool.add(tipTx(A, n, 1n), CTX);
    expectRejected(() => pool.add(tipTx(A, 2n, 1n), CTX), MempoolErrorCode.SENDER_LIMIT, "account limit exceeded");
    expect(pool.add(tipTx(A, 5n, 2n), CTX).status).toBe("queued");
    expect(pool.add(tipTx(B, 0n, 1n), CTX).status).toBe("pending");
  });

  it("counts added and rejected txs and tracks pending/queued gauges", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const { pool, account } = setup({}, metrics);
    pool.add(mkTx(A, 0n), CTX);
    pool.add(mkTx(A, 2n), CTX);
    account(B).nonce = 1n;
    expect(() => pool.add(mkTx(B, 0n), CTX)).toThrow();
    const text = (await metrics.render()).body;
    expect(text).toContain("zg_mempool_added_total 2");
    expect(text).toContain('zg_mempool_rejected_total{reason="TX_NONCE_TOO_LOW"} 1');
    expect(text).toContain('zg_mempool_txs{state="pending"} 1');
    expect(text).toContain('zg_mempool_txs{state="queued"} 1');
  });
});

describe("Mempool pending and queued", () => {
  it("classifies by the sender's run from the account nonce and promotes when a gap fills", () => {
    const { pool, account } = setup();
    account(A).nonce = 5n;
    const heard: SignedTx[] = [];
    const unsubscribe = pool.onAdded((tx) => heard.push(tx));
    const [t5, t6, t7, t8] = [5n, 6n, 7n, 8n].map((n) => mkTx(A, n));
    expect(pool.add(t5!, CTX).status).toBe("pending");
    expect(pool.add(t7!, CTX).status).toBe("queued");
    expect(pool.add(t8!, CTX).status).toBe("queued");
    expect(pool.status()).toEqual({ pending: 1, queued: 2 });
    expect(pool.pendingNonce(addrs[A]!)).toBe(6n);
    expect(heard).toEqual([t5]);

    expect(pool.add(t6!, CTX).status).toBe("pending");
    expect(pool.status()).toEqual({ pending: 4, queued: 0 });
    expect(pool.pendingNonce(addrs[A]!)).toBe(9n);
    expect(heard).toEqual([t5, t6, t7, t8]);
    const key = bytesToHex(addrs[A]!);
    expect(pool.content().pending.get(key)).toEqual([t5, t6, t7, t8]);
    expect(pool.content().queued.has(key)).toBe(false);

    unsubscribe();
    pool.add(mkTx(A, 9n), CTX);
    expect(heard).toHaveLength(4);
    expect(pool.pendingNonce(addrs[B]!)).toBe(0n);
  });

  it("lists content by sender in nonce order", () => {
    const { pool } = setup();
    const txs = [mkTx(A, 3n), mkTx(A, 0n), mkTx(A, 5n), mkTx(B, 1n)];
    for (const tx of txs) pool.add(tx, CTX);
    const { pending, queued } = pool.content();
    expect(pending.get(bytesToHex(addrs[A]!))).toEqual([txs[1]]);
    expect(queued.get(bytesToHex(addrs[A]!))).toEqual([txs[0], txs[2]]);
    expect(queued.get(bytesToHex(addrs[B]!))).toEqual([txs[3]]);
    expect(pending.has(bytesToHex(addrs[B]!))).toBe(false);
  });

  it("remove demotes the sender's later txs", () => {
    const { pool } = setup();
    const txs = [0n, 1n, 2n].map((n) => mkTx(A, n));
    for (const tx of txs) pool.add(tx, CTX);
    expect(pool.remove(txs[1]!.hash)).toBe(true);
    expect(pool.remove(txs[1]!.hash)).toBe(false);
    expect(pool.status()).toEqual({ pending: 1, queued: 1 });
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["A0"]);
  });
});

describe("Mempool candidates", () => {
  it("orders by effective tip across senders and by nonce within a sender", () => {
    const { pool } = setup();
    pool.add(tipTx(A, 0n, 1n), CTX);
    pool.add(tipTx(A, 1n, 10n), CTX);
    pool.add(tipTx(B, 0n, 5n), CTX);
    pool.add(tipTx(C, 0n, 3n), CTX);
    pool.add(tipTx(C, 1n, 4n), CTX);
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["B0", "C0", "C1", "A0", "A1"]);
  });

  it("ranks by the tip actually paid at the base fee", () => {
    const { pool } = setup();
    // A: tip 5, cap 12 → pays 5 at base fee 1, 2 at base fee 10. B: tip 3, cap 100 → pays 3.
    pool.add(mkTx(A, 0n, { maxPriorityFeePerGas: 5n * GWEI, maxFeePerGas: 12n * GWEI }), CTX);
    pool.add(mkTx(B, 0n, { maxPriorityFeePerGas: 3n * GWEI, maxFeePerGas: 100n * GWEI }), CTX);
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["A0", "B0"]);
    expect(labels(drain(pool.candidates(10n * GWEI)))).toEqual(["B0", "A0"]);
  });

  it("skips senders whose next tx cannot pay the base fee, and their later nonces", () => {
    const { pool } = setup();
    pool.add(mkTx(A, 0n, { maxPriorityFeePerGas: GWEI, maxFeePerGas: 5n * GWEI }), CTX);
    pool.add(mkTx(A, 1n, { maxPriorityFeePerGas: 50n * GWEI, maxFeePerGas: 500n * GWEI }), CTX);
    pool.add(mkTx(B, 0n, { maxPriorityFeePerGas: GWEI, maxFeePerGas: 500n * GWEI }), CTX);
    pool.add(mkTx(B, 1n, { maxPriorityFeePerGas: GWEI, maxFeePerGas: 5n * GWEI }), CTX);
    pool.add(mkTx(B, 2n, { maxPriorityFeePerGas: GWEI, maxFeePerGas: 500n * GWEI }), CTX);
    expect(labels(drain(pool.candidates(6n * GWEI)))).toEqual(["B0"]);
    expect(labels(drain(pool.candidates(5n * GWEI)))).toEqual(["B0", "A0", "A1", "B1", "B2"]);
  });

  it("breaks ties by arrival order", () => {
    for (const order of [
      [A, B, C],
      [C, A, B],
    ]) {
      const { pool } = setup();
      for (const s of order) pool.add(tipTx(s, 0n, 2n), CTX);
      expect(drain(pool.candidates(GWEI)).map((tx) => bytesToHex(tx.sender))).toEqual(order.map((s) => bytesToHex(addrs[s]!)));
    }
  });

  it("pop drops the rest of the sender; shift moves to its next nonce", () => {
    const { pool } = setup();
    for (const n of [0n, 1n, 2n]) pool.add(tipTx(A, n, 9n), CTX);
    pool.add(tipTx(B, 0n, 5n), CTX);
    pool.add(tipTx(B, 1n, 1n), CTX);
    const it = pool.candidates(GWEI);
    expect(labels([it.peek()!])).toEqual(["A0"]);
    it.shift();
    expect(labels([it.peek()!])).toEqual(["A1"]);
    it.pop();
    expect(labels(drain(it))).toEqual(["B0", "B1"]);
    expect(it.peek()).toBeUndefined();
    expect(pool.size).toBe(5);
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["A0", "A1", "A2", "B0", "B1"]);
  });

  it("yields nothing from queued txs", () => {
    const { pool } = setup();
    pool.add(tipTx(A, 1n, 9n), CTX);
    expect(pool.candidates(GWEI).peek()).toBeUndefined();
  });

  it("reads a snapshot that survives changes to the pool during a block", () => {
    const { pool } = setup();
    pool.add(tipTx(A, 0n, 9n), CTX);
    pool.add(tipTx(A, 1n, 9n), CTX);
    const b0 = tipTx(B, 0n, 5n);
    pool.add(b0, CTX);
    pool.add(tipTx(C, 0n, 3n), CTX);
    const it = pool.candidates(GWEI);
    expect(labels([it.peek()!])).toEqual(["A0"]);
    it.shift();
    const a1 = tipTx(A, 1n, 20n);
    pool.add(a1, CTX); // replaces A1 while the builder runs
    pool.remove(b0.hash);
    pool.add(tipTx(D, 0n, 50n), CTX); // arrives after the snapshot: next block
    expect(labels(drain(it))).toEqual(["A1", "C0"]);
  });
});

describe("Mempool onBlock", () => {
  it("removes included txs and keeps the rest pending", () => {
    const { pool, commit } = setup();
    const a = [0n, 1n, 2n, 3n].map((n) => tipTx(A, n, 2n));
    const b = [0n, 1n].map((n) => tipTx(B, n, 3n));
    for (const tx of [...a, ...b]) pool.add(tx, CTX);
    commit([a[0]!, a[1]!, b[0]!]);
    expect(pool.size).toBe(3);
    expect(pool.has(a[0]!.hash)).toBe(false);
    expect(pool.status()).toEqual({ pending: 3, queued: 0 });
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["B1", "A2", "A3"]);
  });

  it("drops txs below the new account nonce, even when the block held other txs at those nonces", () => {
    const { pool, commit } = setup();
    for (const n of [0n, 1n, 2n]) pool.add(tipTx(A, n, 2n), CTX);
    commit([tipTx(A, 0n, 7n), tipTx(A, 1n, 7n)]);
    expect(pool.size).toBe(1);
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["A2"]);
  });

  it("promotes queued txs the new nonce reaches", () => {
    const { pool, commit } = setup();
    pool.add(tipTx(A, 0n, 2n), CTX);
    pool.add(tipTx(A, 2n, 2n), CTX);
    pool.add(tipTx(A, 3n, 2n), CTX);
    const heard: SignedTx[] = [];
    pool.onAdded((tx) => heard.push(tx));
    commit([tipTx(A, 0n, 2n), tipTx(A, 1n, 5n)]);
    expect(pool.status()).toEqual({ pending: 2, queued: 0 });
    expect(labels(heard)).toEqual(["A2", "A3"]);
    expect(pool.pendingNonce(addrs[A]!)).toBe(4n);
  });

  it("drops txs the balance no longer covers and demotes their successors", () => {
    const { pool, account, commit } = setup();
    const big = tipTx(A, 1n, 2n, { value: 10n ** 20n });
    const txs = [tipTx(A, 0n, 2n), big, tipTx(A, 2n, 2n), tipTx(A, 3n, 2n)];
    for (const tx of txs) pool.add(tx, CTX);
    account(A).balance = 10n ** 19n;
    commit([txs[0]!]);
    expect(pool.has(big.hash)).toBe(false);
    expect(pool.status()).toEqual({ pending: 0, queued: 2 });
    expect(pool.candidates(GWEI).peek()).toBeUndefined();
    expect(pool.pendingNonce(addrs[A]!)).toBe(1n);
  });

  it("catches up with a sender whose state moved without onBlock", () => {
    const { pool, account } = setup();
    for (const n of [0n, 1n, 3n]) pool.add(tipTx(A, n, 2n), CTX);
    account(A).nonce = 2n;
    expect(pool.add(tipTx(A, 2n, 2n), CTX).status).toBe("pending");
    expect(pool.status()).toEqual({ pending: 2, queued: 0 });
  });
});

describe("Mempool eviction", () => {
  it("evicts the cheapest sender's last tx when full by count, and refuses a cheaper newcomer", () => {
    const { pool } = setup({ maxTxs: 4 });
    pool.add(tipTx(A, 0n, 1n), CTX);
    pool.add(tipTx(A, 1n, 6n), CTX);
    pool.add(tipTx(B, 0n, 3n), CTX);
    const b1 = tipTx(B, 1n, 4n);
    pool.add(b1, CTX);
    const c0 = tipTx(C, 0n, 5n);
    expect(pool.add(c0, CTX).status).toBe("pending");
    expect(pool.size).toBe(4);
    expect(pool.has(b1.hash)).toBe(false); // A0 pays least, but evicting it would strand A1
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["C0", "B0", "A0", "A1"]);

    const before = pool.content();
    expectRejected(() => pool.add(tipTx(D, 0n, 2n), CTX), MempoolErrorCode.POOL_FULL, "txpool is full");
    expectRejected(() => pool.add(tipTx(D, 0n, 3n), CTX), MempoolErrorCode.POOL_FULL, "txpool is full");
    expect(pool.content()).toEqual(before);
  });

  it("evicts queued txs first", () => {
    const { pool } = setup({ maxTxs: 3 });
    pool.add(tipTx(A, 0n, 2n), CTX);
    pool.add(tipTx(A, 1n, 2n), CTX);
    const queued = tipTx(B, 5n, 3n);
    pool.add(queued, CTX);
    pool.add(tipTx(C, 0n, 4n), CTX);
    expect(pool.has(queued.hash)).toBe(false);
    expect(pool.status()).toEqual({ pending: 3, queued: 0 });
  });

  it("does not let a queued newcomer push out pending txs", () => {
    const { pool } = setup({ maxTxs: 2 });
    pool.add(tipTx(A, 0n, 1n), CTX);
    pool.add(tipTx(B, 0n, 1n), CTX);
    expectRejected(() => pool.add(tipTx(C, 3n, 50n), CTX), MempoolErrorCode.POOL_FULL, "txpool is full");
    expect(pool.add(tipTx(C, 0n, 50n), CTX).status).toBe("pending");
  });

  it("evicts by bytes as many last txs as needed, or none", () => {
    const small = [tipTx(A, 0n, 1n), tipTx(A, 1n, 2n), tipTx(B, 0n, 3n), tipTx(B, 1n, 5n)];
    const size = Math.max(...small.map((tx) => tx.raw.length));
    const { pool } = setup({ maxBytes: 4 * size + 10 });
    for (const tx of small) pool.add(tx, CTX);
    // Needs two slots: A1 (2) then A0 (1) go; B's run (3, 5) stays whole.
    const big = tipTx(C, 0n, 4n, { data: new Uint8Array(size + 5).fill(1), gasLimit: 100_000n });
    const before = pool.content();
    const cheapBig = tipTx(D, 0n, 2n, { data: new Uint8Array(size + 5).fill(1), gasLimit: 100_000n });
    expectRejected(() => pool.add(cheapBig, CTX), MempoolErrorCode.POOL_FULL, "txpool is full");
    expect(pool.content()).toEqual(before);
    // Would need three slots: evicts A1 and A0, then meets B1 (5 > 3), so puts both back and refuses.
    const huge = tipTx(D, 0n, 3n, { data: new Uint8Array(2 * size + 5).fill(1), gasLimit: 100_000n });
    expectRejected(() => pool.add(huge, CTX), MempoolErrorCode.POOL_FULL, "txpool is full");
    expect(pool.content()).toEqual(before);
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["B0", "B1", "A0", "A1"]);

    expect(pool.add(big, CTX).status).toBe("pending");
    expect(labels(drain(pool.candidates(GWEI)))).toEqual(["C0", "B0", "B1"]);
    expect(poolBytes(pool)).toBeLessThanOrEqual(4 * size + 10);
  });

  it("refuses a tx larger than the byte limit", () => {
    const { pool } = setup({ maxBytes: 50 });
    expectRejected(() => pool.add(mkTx(A, 0n), CTX), MempoolErrorCode.POOL_FULL, "txpool is full");
    expect(pool.size).toBe(0);
  });

  it("counts evictions", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const { pool } = setup({ maxTxs: 1 }, metrics);
    pool.add(tipTx(A, 0n, 1n), CTX);
    pool.add(tipTx(B, 0n, 2n), CTX);
    expect((await metrics.render()).body).toContain("zg_mempool_evicted_total 1");
  });
});
