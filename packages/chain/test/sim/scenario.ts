import { type ConsensusTimeouts, VoteType } from "../../src/consensus/types.js";
import { Prng } from "./prng.js";
import type { Behaviour, NetMessage } from "./simNode.js";
import type { SimConfig } from "./simulation.js";

/** Short timeouts against network delays of tens of ms after GST (they grow per round, so any delay is outgrown). */
export const SIM_TIMEOUTS: ConsensusTimeouts = {
  propose: 200,
  proposeDelta: 50,
  prevote: 50,
  prevoteDelta: 25,
  precommit: 50,
  precommitDelta: 25,
  commit: 5,
};

const BYZANTINE: Behaviour[] = ["silent", "equivocate", "invalid", "random", "amnesia", "twins"];

export interface ScenarioOptions {
  n: number;
  targetHeight: number;
  /** Virtual ms after GST within which every honest node must have decided (the run stops there); without GST, the run's length. */
  afterGst: number;
  /** Never stabilise: chaos for the whole run (safety only). */
  noGst?: boolean;
  byzantine?: Behaviour[];
  /**
   * Safety hunting: always f byzantine among those that can build conflicting quorums, short
   * delays and a partition redrawn every few hundred ms, so that nodes decide and then drift apart.
   */
  adversarial?: boolean;
}

const ADVERSARIAL: Behaviour[] = ["amnesia", "twins", "equivocate"];

/**
 * A random scenario drawn from `seed`: up to f byzantine validators (by power, when powers are
 * weighted) with random behaviours, and a random pre-GST network (delays, loss, partition).
 */
export function randomScenario(seed: number, opts: ScenarioOptions): SimConfig {
  const rng = new Prng(seed * 7919 + opts.n);
  const n = opts.n;
  const weighted = rng.chance(0.3);
  const powers = Array.from({ length: n }, () => BigInt(weighted ? rng.int(1, 5) : 1));
  const total = powers.reduce((a, b) => a + b, 0n);
  const f = Math.floor((n - 1) / 3);
  const count = opts.adversarial || rng.chance(0.7) ? f : rng.int(0, f);
  let byz = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, count);
  // Byzantine power must stay below a third.
  while (byz.reduce((s, i) => s + powers[i]!, 0n) * 3n >= total) byz = byz.slice(1);
  const kinds = opts.byzantine ?? (opts.adversarial ? ADVERSARIAL : BYZANTINE);
  const behaviours = Array.from({ length: n }, (_, i): Behaviour => (byz.includes(i) ? rng.pick(kinds) : "honest"));
  const gst = opts.noGst ? Number.POSITIVE_INFINITY : rng.int(0, 4000);
  const mode = opts.adversarial ? 2 : rng.int(0, 2);
  const partition = mode === 1 ? Array.from({ length: n }, () => rng.int(0, 1)) : null;
  const repartitionEvery = mode === 2 ? (opts.adversarial ? rng.int(30, 300) : rng.int(100, 800)) : null;
  const maxDelay = opts.adversarial ? rng.int(5, 200) : rng.int(20, 1500);
  const dropRate = opts.adversarial ? rng.pick([0, 0.1]) : rng.pick([0, 0.1, 0.3, 0.5]);
  return {
    seed,
    powers,
    behaviours,
    timeouts: SIM_TIMEOUTS,
    network: {
      gst,
      preGst: { minDelay: 0, maxDelay, dropRate },
      postGst: { minDelay: 1, maxDelay: rng.int(5, 50) },
      duplicateRate: 0.05,
      partition,
      repartitionEvery,
    },
    targetHeight: opts.targetHeight,
    maxTime: opts.noGst ? opts.afterGst : gst + opts.afterGst,
    gossipInterval: 100,
  };
}

/**
 * A scripted Twins attack on n = 4 (validator 3 runs twice: twin 0 talks to validators 0 and 1,
 * twin 1 to validator 2). Until 1 s, 0, 1 and twin 0 run round 0 alone and validator 1 receives no
 * precommit: 0 decides V, 1 is locked on V. Until 6 s (GST), 0 is cut off and nobody relays its
 * messages: 1, 2 and twin 1 move on, and validator 2 proposes a fresh W in round 2. Only 1's lock
 * stands between W's prevotes and +2/3: a node that ignored it would decide W, a fork.
 */
export function twinsForkScenario(): SimConfig {
  const phase1 = 1_000;
  const gst = 6_000;
  const signer = (m: NetMessage) => (m.kind === "vote" ? m.vote.validatorIndex : m.proposal.validatorIndex);
  return {
    seed: 1,
    powers: [1n, 1n, 1n, 1n],
    behaviours: ["honest", "honest", "honest", "twins"],
    sides: [0, 0, 1, 0],
    timeouts: SIM_TIMEOUTS,
    network: {
      gst,
      preGst: { minDelay: 10, maxDelay: 10, dropRate: 0 },
      postGst: { minDelay: 10, maxDelay: 10 },
      duplicateRate: 0,
      partition: null,
      repartitionEvery: null,
      filter: (from, to, msg, now) => {
        if (now < phase1) {
          if (from === 2 || to === 2) return false;
          return !(to === 1 && msg.kind === "vote" && msg.vote.type === VoteType.Precommit);
        }
        if (now < gst) {
          if (from === 0 || to === 0 || signer(msg) === 0) return false;
          return !((from === 3 && to === 1) || (from === 1 && to === 3));
        }
        return true;
      },
    },
    targetHeight: 2,
    maxTime: 30_000,
    gossipInterval: 100,
  };
}
