import { LeanHarness } from "./p2pLean.js";
import { broadcastRate, oneWay, type Rate, roundTrips, timeEach } from "./p2pMeasure.js";

// js-libp2p 3 calls Promise.withResolvers (Node 22+) everywhere; this module is loaded before libp2p's.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export interface P2PBenchOptions {
  smallCount: number;
  perTurnCount: number;
  largeCount: number;
  broadcastCount: number;
  handshakes: number;
  roundTripMs: number;
  /** Runs of each measure per transport; the table shows medians. */
  runs: number;
}

export const defaultP2PBenchOptions: P2PBenchOptions = {
  smallCount: 200_000,
  perTurnCount: 50_000,
  largeCount: 3_000,
  broadcastCount: 30_000,
  handshakes: 40,
  roundTripMs: 1_500,
  runs: 3,
};

interface Row {
  metric: string;
  lean: string;
  libp2p: string;
  ratio: string;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(n >= 10 ? 1 : 2));
const rate = (r: Rate, unit = "msgs/s", per = "msg") => `${fmt(r.perSec)} ${unit} (${fmt(r.cpuUs)} µs CPU/${per})`;

/** Runs the comparison in this process, ours and libp2p alternating, and prints a Markdown table of medians. */
export async function benchP2P(opts: P2PBenchOptions = defaultP2PBenchOptions): Promise<void> {
  const { Libp2pHarness } = await import("./p2pLibp2p.js");
  type Harness = LeanHarness | InstanceType<typeof Libp2pHarness>;
  const rows: Row[] = [];
  const lean = new LeanHarness();
  const lp = new Libp2pHarness();
  /** `runs` alternating runs of each, so drifting load on a shared machine hits both alike; medians by `key`. */
  const pairwise = async <T>(measure: (h: Harness) => Promise<T>, key: (t: T) => number): Promise<[T, T]> => {
    const ours: T[] = [];
    const theirs: T[] = [];
    for (let i = 0; i < opts.runs; i++) {
      ours.push(await measure(lean));
      await lean.close();
      theirs.push(await measure(lp));
      await lp.close();
    }
    return [median(ours, key), median(theirs, key)];
  };
  const perSec = (r: Rate) => r.perSec;

  console.log(`p2p: handshakes (${opts.runs} runs of each measure, alternating)`);
  const [hsLean, hsLp] = await pairwise(
    async (h) => timeEach(opts.handshakes, await h.handshake()),
    (t) => t.mean,
  );
  rows.push({
    metric: "connect + handshake (mean / median)",
    lean: `${hsLean.mean.toFixed(2)} / ${hsLean.median.toFixed(2)} ms`,
    libp2p: `${hsLp.mean.toFixed(2)} / ${hsLp.median.toFixed(2)} ms`,
    ratio: `${(hsLp.mean / hsLean.mean).toFixed(1)}x faster`,
  });

  console.log("p2p: 100-byte messages one way");
  const [smallLean, smallLp] = await pairwise(async (h) => oneWay(await h.link(), 100, opts.smallCount, 2_000), perSec);
  rows.push(row("100 B one way", smallLean, smallLp));

  console.log("p2p: 100-byte messages one way, one per event-loop turn");
  const [turnLean, turnLp] = await pairwise(async (h) => oneWay(await h.link(), 100, opts.perTurnCount, 2_000, true), perSec);
  rows.push(row("100 B one way, one message per event-loop turn (no coalescing)", turnLean, turnLp));

  console.log("p2p: round trips");
  const [rtLean, rtLp] = await pairwise(async (h) => roundTrips(await h.link(), opts.roundTripMs), perSec);
  rows.push(row("100 B round trips (sequential)", rtLean, rtLp, "round trips/s", "round trip"));

  console.log("p2p: 64 KiB messages one way");
  const [bigLean, bigLp] = await pairwise(async (h) => oneWay(await h.link(), 64 * 1024, opts.largeCount, 32), perSec);
  const mb = (r: Rate) => `${fmt((r.perSec * 64 * 1024) / 1e6)} MB/s, ${rate(r)}`;
  rows.push({ metric: "64 KiB one way", lean: mb(bigLean), libp2p: mb(bigLp), ratio: ratioOf(bigLean, bigLp) });

  console.log("p2p: broadcast to 3 peers");
  const star = (h: Harness, signing: "StrictNoSign" | "StrictSign") => (h instanceof LeanHarness ? h.star(3) : h.star(3, signing));
  const [bLean, bNoSign] = await pairwise(
    async (h) => broadcastRate(await star(h, "StrictNoSign"), 100, opts.broadcastCount, 1_000),
    perSec,
  );
  rows.push(row("broadcast 100 B to 3 peers (deliveries; libp2p: gossipsub StrictNoSign)", bLean, bNoSign, "deliveries/s"));
  const signed: Rate[] = [];
  for (let i = 0; i < opts.runs; i++) {
    signed.push(await broadcastRate(await lp.star(3, "StrictSign"), 100, Math.ceil(opts.broadcastCount / 4), 250));
    await lp.close();
  }
  rows.push(row("broadcast 100 B to 3 peers (libp2p: gossipsub StrictSign, its default)", bLean, median(signed, perSec), "deliveries/s"));

  console.log(`\n| measure (median of ${opts.runs}) | ${lean.name} | ${lp.name} | ours vs libp2p |\n|---|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.metric} | ${r.lean} | ${r.libp2p} | ${r.ratio} |`);
}

function median<T>(xs: T[], key: (t: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
}

function ratioOf(ours: Rate, theirs: Rate): string {
  return `${(ours.perSec / theirs.perSec).toFixed(1)}x rate, ${(theirs.cpuUs / ours.cpuUs).toFixed(1)}x less CPU`;
}

function row(metric: string, ours: Rate, theirs: Rate, unit?: string, per?: string): Row {
  return { metric, lean: rate(ours, unit, per), libp2p: rate(theirs, unit, per), ratio: ratioOf(ours, theirs) };
}
