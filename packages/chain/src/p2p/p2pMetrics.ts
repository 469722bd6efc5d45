import type { Counter, Gauge, Metrics } from "@zerog/core";
import { Channel, CONTROL_CHANNEL, channelName } from "./channels.js";

type Direction = "in" | "out";
type Incrementer = { inc(value?: number): void };

/** The p2p instruments, with label children resolved once: a message costs one `inc`, not a label lookup. */
export class P2PMetrics {
  readonly peers: Gauge;
  private readonly bytes: Record<Direction, Incrementer>;
  private readonly messagesCounter: Counter<"channel" | "direction">;
  private readonly messages = new Map<number, Record<Direction, Incrementer>>();
  private readonly rejected: Counter<"reason">;

  constructor(metrics: Metrics) {
    const existing = <T>(name: string): T | undefined => metrics.registry.getSingleMetric(name) as T | undefined;
    this.peers = existing<Gauge>("zg_p2p_peers") ?? metrics.gauge("zg_p2p_peers", "Connected peers");
    const bytes =
      existing<Counter<"direction">>("zg_p2p_bytes_total") ??
      metrics.counter("zg_p2p_bytes_total", "Bytes on the wire (frames, after encryption)", ["direction"]);
    this.bytes = { in: bytes.labels("in"), out: bytes.labels("out") };
    this.messagesCounter =
      existing<Counter<"channel" | "direction">>("zg_p2p_messages_total") ??
      metrics.counter("zg_p2p_messages_total", "Messages by channel and direction", ["channel", "direction"]);
    this.rejected =
      existing<Counter<"reason">>("zg_p2p_rejected_total") ??
      metrics.counter("zg_p2p_rejected_total", "Connections refused or dropped and messages rejected, by reason", ["reason"]);
    for (const ch of [CONTROL_CHANNEL, ...Object.values(Channel)]) this.channel(ch);
  }

  addBytes(direction: Direction, n: number): void {
    this.bytes[direction].inc(n);
  }

  addMessage(channel: number, direction: Direction): void {
    this.channel(channel)[direction].inc();
  }

  reject(reason: string): void {
    this.rejected.inc({ reason });
  }

  private channel(ch: number): Record<Direction, Incrementer> {
    let c = this.messages.get(ch);
    if (!c) {
      const name = channelName(ch);
      c = { in: this.messagesCounter.labels(name, "in"), out: this.messagesCounter.labels(name, "out") };
      this.messages.set(ch, c);
    }
    return c;
  }
}
