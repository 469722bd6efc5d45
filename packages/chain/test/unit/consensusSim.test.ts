import { describe, expect, it } from "vitest";
import { randomScenario, twinsForkScenario } from "../sim/scenario.js";
import { runSimulation, type SimConfig, type SimResult } from "../sim/simulation.js";

const SEEDS = 200;
const HEIGHTS = 4;
/** Virtual ms after GST within which every honest node must have decided HEIGHTS heights (the worst seen is ~4.3 s). */
const LIVENESS_BOUND = 15_000;

const byzantineOf = (config: SimConfig) => config.behaviours.flatMap((b, i) => (b === "honest" ? [] : [i]));
const describeRun = (config: SimConfig, r: SimResult) =>
  `seed ${config.seed} n=${config.powers.length} [${config.behaviours.join(",")}]: ${r.violations.join("; ") || "no violation"}; decided ${r.decided.join(",")}`;

describe("consensus simulation", () => {
  it(`is safe and live: ${SEEDS} seeds, n = 4 and 7, up to f byzantine, loss, delay, duplicates and partitions before GST`, () => {
    let accusedEquivocators = 0;
    for (let seed = 0; seed < SEEDS; seed++) {
      const config = randomScenario(seed, { n: seed % 2 === 0 ? 4 : 7, targetHeight: HEIGHTS, afterGst: LIVENESS_BOUND });
      const r = runSimulation(config);
      // Safety: no conflicting or invalid decision, no evidence against an honest validator, no honest double sign.
      expect(r.violations, describeRun(config, r)).toEqual([]);
      // Liveness: every honest node decided HEIGHTS heights within LIVENESS_BOUND of GST.
      expect(r.allDecidedAt, describeRun(config, r)).not.toBeNull();
      expect(r.decisions.size).toBeGreaterThanOrEqual(HEIGHTS);
      for (const i of byzantineOf(config)) if (r.accused.has(i)) accusedEquivocators++;
    }
    expect(accusedEquivocators).toBeGreaterThan(10);
  });

  it(`is safe under chaos that never ends: ${SEEDS} seeds of f amnesia, twins or equivocating validators and shifting partitions`, () => {
    let decided = 0;
    for (let seed = 0; seed < SEEDS; seed++) {
      const config = randomScenario(seed, {
        n: seed % 2 === 0 ? 4 : 7,
        targetHeight: 1_000,
        afterGst: 10_000,
        noGst: true,
        adversarial: true,
      });
      const r = runSimulation(config);
      expect(r.violations, describeRun(config, r)).toEqual([]);
      decided += r.decisions.size;
    }
    // Not vacuous: heights are decided in the calm moments.
    expect(decided).toBeGreaterThan(SEEDS * 5);
  });

  it("keeps a validator's lock against a scripted Twins attack (a node that ignores its lock forks here)", () => {
    const r = runSimulation(twinsForkScenario());
    expect(r.violations).toEqual([]);
    expect(r.decided.slice(0, 3)).toEqual([2, 2, 2]);
    expect([...r.accused]).toEqual([3]);
  });

  it("with 2 of 4 validators silent, decides nothing and nothing conflicts", () => {
    for (let seed = 0; seed < 20; seed++) {
      const config = randomScenario(seed, { n: 4, targetHeight: 1, afterGst: 30_000, byzantine: ["silent"] });
      config.behaviours = ["honest", "silent", "honest", "silent"];
      config.network.gst = 0;
      const r = runSimulation(config);
      expect(r.violations).toEqual([]);
      expect(r.decisions.size).toBe(0);
      expect(r.final[0]!).toMatchObject({ height: 1n, decision: null });
    }
  });

  it("is deterministic: a seed replays to the same run", () => {
    const run = () => runSimulation(randomScenario(12345, { n: 7, targetHeight: HEIGHTS, afterGst: LIVENESS_BOUND }));
    const [a, b] = [run(), run()];
    expect(b.events).toBe(a.events);
    expect(b.messages).toBe(a.messages);
    expect(b.allDecidedAt).toBe(a.allDecidedAt);
    expect([...b.decisions]).toEqual([...a.decisions]);
    expect(b.final).toEqual(a.final);
  });
});
