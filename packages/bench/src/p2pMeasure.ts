/**
 * Transport-neutral measurements for the p2p comparison. Both ends run in this process, so a
 * message's CPU time is its sender's plus its receiver's (process.cpuUsage, user + system).
 */

export interface Link {
  /** A→B; a returned promise means "wait before sending more" (the transport's backpressure). */
  send(data: Uint8Array): undefined | Promise<void>;
  /** Set by the measurement: called for each message B receives. */
  onReceive: (data: Uint8Array) => void;
  /** One request/response round trip A→B→A. */
  roundTrip(data: Uint8Array): Promise<void>;
}

export interface Star {
  /** Hub → every leaf. */
  broadcast(data: Uint8Array): undefined | Promise<void>;
  leaves: number;
  onReceive: (data: Uint8Array) => void;
}

export interface Rate {
  perSec: number;
  /** CPU µs per message, both ends. */
  cpuUs: number;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Sends `count` messages of `size` bytes, at most `window` deliveries outstanding (so a fast
 * sender measures the pipe rather than its own queue), and times until the last one arrives.
 * `fresh` gives every message distinct bytes (gossip deduplicates by content).
 */
async function pump(
  send: (data: Uint8Array) => undefined | Promise<void>,
  setReceive: (f: () => void) => void,
  fanout: number,
  size: number,
  count: number,
  window: number,
  fresh: boolean,
  perTurn = false,
): Promise<Rate> {
  const total = count * fanout;
  let sent = 0;
  let got = 0;
  let wake: (() => void) | null = null;
  setReceive(() => {
    got++;
    if (wake && (sent * fanout - got <= (window * fanout) / 2 || got >= total)) {
      const w = wake;
      wake = null;
      w();
    }
  });
  const payload = new Uint8Array(size).fill(7);
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  while (sent < count) {
    if (sent * fanout - got >= window * fanout) await new Promise<void>((r) => (wake = r));
    let data = payload;
    if (fresh) {
      data = new Uint8Array(size);
      new DataView(data.buffer).setUint32(0, sent);
    }
    sent++;
    const p = send(data);
    if (p) await p;
    // One message per event-loop turn: nothing to coalesce, so every message is its own frame.
    if (perTurn) await new Promise<void>((r) => setImmediate(r));
  }
  while (got < total) await new Promise<void>((r) => (wake = r));
  const seconds = (performance.now() - t0) / 1000;
  return { perSec: total / seconds, cpuUs: (cpuMicros() - cpu0) / total };
}

export function oneWay(link: Link, size: number, count: number, window: number, perTurn = false): Promise<Rate> {
  const setReceive = (f: () => void) => {
    link.onReceive = f;
  };
  return pump((d) => link.send(d), setReceive, 1, size, count, window, false, perTurn);
}

export function broadcastRate(star: Star, size: number, count: number, window: number): Promise<Rate> {
  return pump(
    (d) => star.broadcast(d),
    (f) => (star.onReceive = f),
    star.leaves,
    size,
    count,
    window,
    true,
  );
}

export async function roundTrips(link: Link, durationMs: number): Promise<Rate> {
  const data = new Uint8Array(100).fill(3);
  for (let i = 0; i < 200; i++) await link.roundTrip(data); // warm-up
  let n = 0;
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  while (performance.now() - t0 < durationMs) {
    await link.roundTrip(data);
    n++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { perSec: n / seconds, cpuUs: (cpuMicros() - cpu0) / n };
}

/** Mean and median of `n` timed runs of `f` (ms), after 5 untimed ones (JIT, first-connection set-up). */
export async function timeEach(n: number, f: () => Promise<number>): Promise<{ mean: number; median: number }> {
  for (let i = 0; i < 5; i++) await f();
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(await f());
  times.sort((a, b) => a - b);
  return { mean: times.reduce((a, b) => a + b, 0) / n, median: times[Math.floor(n / 2)]! };
}

/** Length-prefixed frames over a byte stream (the libp2p streams carry these); copies only frames split across chunks. */
export class FrameParser {
  private chunks: Uint8Array[] = [];
  private length = 0;

  constructor(private readonly onFrame: (frame: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    for (;;) {
      if (this.length < 4) return;
      const head = this.peek(4);
      const len = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      if (this.length < 4 + len) return;
      const whole = this.peek(4 + len);
      this.onFrame(whole.subarray(4));
      this.drop(4 + len);
    }
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      const take = Math.min(c.length, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
      if (o === n) break;
    }
    return out;
  }

  private drop(n: number): void {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
}

export function frame(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, 4);
  return out;
}
