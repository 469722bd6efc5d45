import { bytesToHex } from "@zerog/core";
import type { ConsensusSnapshot } from "../../src/consensus/stateMachine.js";
import type { ConsensusTimeouts, DuplicateVoteEvidence } from "../../src/consensus/types.js";
import { ValidatorSet } from "../../src/consensus/validatorSet.js";
import { EventQueue } from "./eventQueue.js";
import { Prng } from "./prng.js";
import { type Behaviour, isValidBlock, type NetMessage, type SimContext, SimNode } from "./simNode.js";

/**
 * A deterministic simulated network of consensus nodes. Before the global stabilisation time (GST)
 * messages may be lost, delayed for long, duplicated and reordered, and a partition may cut the
 * nodes into groups; from GST on every message arrives within `postGst.maxDelay`.
 */
export interface NetworkConfig {
  gst: number;
  preGst: { minDelay: number; maxDelay: number; dropRate: number };
  postGst: { minDelay: number; maxDelay: number };
  duplicateRate: number;
  /** Group of each node before GST; messages between groups are lost. null = no partition. */
  partition: number[] | null;
  /** Draw a new random partition (or none) this often before GST; null = keep `partition`. */
  repartitionEvery: number | null;
  /** A scripted adversary: a message from validator `from` to `to` sent at `now` is lost unless this says true. */
  filter?: (from: number, to: number, msg: NetMessage, now: number) => boolean;
}

export interface SimConfig {
  seed: number;
  powers: bigint[];
  behaviours: Behaviour[];
  timeouts: ConsensusTimeouts;
  network: NetworkConfig;
  /** Stop once every honest node has decided this many heights. */
  targetHeight: number;
  /** Virtual ms after which the run stops anyway. */
  maxTime: number;
  gossipInterval: number;
  /** The twin each validator talks to (0 or 1); random by default. */
  sides?: number[];
  /** Events after which the run stops (a guard against a runaway run). */
  maxEvents?: number;
  /** The application's `processProposal`; by default, blocks built honestly for their height. */
  validity?: (height: bigint, hash: Uint8Array) => boolean;
}

export interface SimResult {
  /** Safety violations: conflicting or invalid decisions, evidence against honest nodes, honest double-sign attempts. */
  violations: string[];
  /** Height → block hash decided by honest nodes. */
  decisions: Map<bigint, string>;
  /** Heights decided by each node. */
  decided: number[];
  /** Virtual time at which every honest node had decided `targetHeight` heights, or null. */
  allDecidedAt: number | null;
  /** Validators reported by honest nodes' duplicate-vote evidence. */
  accused: Set<number>;
  highestDecisionRound: number;
  /** Each node's state when the run stopped. */
  final: ConsensusSnapshot[];
  events: number;
  messages: number;
}

export function simValidators(powers: bigint[]): ValidatorSet {
  // Address i+1 in the last byte keeps index order equal to address order.
  return ValidatorSet.fromValidators(
    powers.map((power, i) => {
      const address = new Uint8Array(20);
      address[18] = (i + 1) >> 8;
      address[19] = (i + 1) & 0xff;
      return { address, publicKey: new Uint8Array(48), power };
    }),
  );
}

export function runSimulation(config: SimConfig): SimResult {
  const queue = new EventQueue();
  const rng = new Prng(config.seed);
  const netRng = rng.fork();
  const { network } = config;
  const validators = simValidators(config.powers);
  const honest = config.behaviours.map((b) => b === "honest");
  const validity = config.validity ?? isValidBlock;
  const result: SimResult = {
    violations: [],
    decisions: new Map(),
    decided: config.behaviours.map(() => 0),
    allDecidedAt: null,
    accused: new Set(),
    highestDecisionRound: 0,
    final: [],
    events: 0,
    messages: 0,
  };
  const decidedBy = config.behaviours.map(() => new Set<bigint>());
  let done = false;
  /** Instances by validator: two for `twins` (one per side), one otherwise. */
  const instances: SimNode[][] = [];
  /** Which twin each validator talks to. */
  const sides = config.sides ?? config.powers.map(() => netRng.int(0, 1));

  let groups = network.partition;
  const repartition = (every: number) => {
    if (queue.now >= network.gst) return;
    groups = netRng.chance(0.3) ? null : config.powers.map(() => netRng.int(0, 1));
    queue.after(every, () => repartition(every));
  };
  if (network.repartitionEvery !== null) queue.after(network.repartitionEvery, () => repartition(network.repartitionEvery!));

  const deliver = (delay: number, from: number, to: SimNode, msg: NetMessage) => {
    result.messages++;
    queue.after(delay, () => to.receive(from, msg));
  };

  /** A context per instance: `side` is the twin side of a `twins` instance, null otherwise. */
  const contextFor = (side: number | null): SimContext => ({
    rng: rng.fork(),
    get now() {
      return queue.now;
    },
    size: config.powers.length,
    timeouts: config.timeouts,
    gossipInterval: config.gossipInterval,
    after: (delay, run) => queue.after(delay, run),
    send(from, to, msg) {
      const targets = instances[to]!;
      let target: SimNode;
      if (targets.length === 2) target = targets[side ?? sides[from]!]!;
      else if (side !== null && sides[to] !== side) return;
      else target = targets[0]!;
      if (network.filter !== undefined && !network.filter(from, to, msg, queue.now)) return;
      const before = queue.now < network.gst;
      if (before) {
        if (groups !== null && groups[from] !== groups[to]) return;
        if (netRng.chance(network.preGst.dropRate)) return;
      }
      const { minDelay, maxDelay } = before ? network.preGst : network.postGst;
      deliver(netRng.int(minDelay, maxDelay), from, target, msg);
      if (netRng.chance(network.duplicateRate)) deliver(netRng.int(minDelay, maxDelay), from, target, msg);
    },
    validity,
    onDecide(node, height, round, hash) {
      if (!honest[node]) return;
      const hex = bytesToHex(hash);
      if (decidedBy[node]!.has(height)) result.violations.push(`node ${node} decided height ${height} twice`);
      decidedBy[node]!.add(height);
      const agreed = result.decisions.get(height);
      if (agreed === undefined) result.decisions.set(height, hex);
      else if (agreed !== hex) result.violations.push(`height ${height}: node ${node} decided ${hex}, another honest node ${agreed}`);
      if (!validity(height, hash)) result.violations.push(`height ${height}: node ${node} decided invalid block ${hex}`);
      if (round > result.highestDecisionRound) result.highestDecisionRound = round;
      result.decided[node] = decidedBy[node]!.size;
      if (!done && config.behaviours.every((_, i) => !honest[i] || decidedBy[i]!.size >= config.targetHeight)) {
        done = true;
        result.allDecidedAt = queue.now;
      }
    },
    onEvidence(node, evidence: DuplicateVoteEvidence) {
      if (!honest[node]) return;
      const accused = validators.indexOf(evidence.validator);
      result.accused.add(accused);
      if (honest[accused]) result.violations.push(`node ${node} reported evidence against honest validator ${accused}`);
    },
    onDoubleSignRefused(node, vote) {
      if (honest[node])
        result.violations.push(`honest node ${node} tried to sign a conflicting vote at ${vote.height}/${vote.round}/${vote.type}`);
    },
  });

  for (const [i, behaviour] of config.behaviours.entries()) {
    const sidesOf = behaviour === "twins" ? [0, 1] : [null];
    instances.push(sidesOf.map((side) => new SimNode(i, behaviour, contextFor(side), validators)));
  }
  for (const node of instances.flat()) node.start();
  const maxEvents = config.maxEvents ?? 2_000_000;
  while (!done && queue.now <= config.maxTime && result.events < maxEvents && queue.step()) result.events++;
  result.final = instances.map((twins) => twins[0]!.snapshot);
  if (result.events >= maxEvents) result.violations.push(`event budget of ${maxEvents} exhausted at ${queue.now} ms`);
  return result;
}
