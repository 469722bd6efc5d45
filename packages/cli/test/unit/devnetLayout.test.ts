import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultExecutionOptions } from "@zerog/chain";
import { afterEach, describe, expect, it } from "vitest";
import { planDevnet } from "../../src/devnet/layout.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("planDevnet", () => {
  it("gives every node of a devnet its own phase of the state write interval", () => {
    for (const validators of [1, 4, 7]) {
      const dir = mkdtempSync(join(tmpdir(), "zg-devnet-layout-"));
      dirs.push(dir);
      const nodes = planDevnet(dir, { validators, host: "127.0.0.1", rpcPort: 18_545, p2pPort: 26_656, blockTime: 250, logLevel: "warn" });
      const phases = nodes.map((n) => JSON.parse(readFileSync(n.configPath, "utf8")).execution.stateWritePhase as number);
      expect(phases).toHaveLength(validators > 1 ? validators + 1 : 1);
      expect(new Set(phases).size).toBe(phases.length);
      for (const p of phases) expect(p >= 0 && p < defaultExecutionOptions.stateWriteInterval).toBe(true);
    }
  });
});
