import { toEventSelector, toFunctionSelector } from "viem";
import { describe, expect, it } from "vitest";
import { fixedPriceAbi, flowAbi, flowSubmitNewAbi, flowSubmitOldAbi } from "../../src/index.js";

// Selectors and topic0 from reference §2.1 (computed with ethers from the ABIs bundled in 0G's node).
describe("Flow ABI fragments", () => {
  it("match 0G's selectors", () => {
    expect(toFunctionSelector(flowSubmitNewAbi[0])).toBe("0xbc8c11f8");
    expect(toFunctionSelector(flowSubmitOldAbi[0])).toBe("0xef3e12dc");
    expect(toFunctionSelector(flowAbi.find((x) => x.type === "function" && x.name === "market")!)).toBe("0x80f55605");
    expect(toFunctionSelector(fixedPriceAbi[0])).toBe("0x61ec5082");
  });

  it("match the Submit event's topic0", () => {
    const submit = flowAbi.find((x) => x.type === "event")!;
    expect(toEventSelector(submit)).toBe("0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555");
  });
});
