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

describe("against @zerog/contracts", () => {
  it("the deployed Flow and FixedPrice ABIs have the same functions and event", async () => {
    const c = await import("@zerog/contracts");
    const flowSelectors = c.flowAbi.filter((x) => x.type === "function").map((x) => toFunctionSelector(x as never));
    expect(flowSelectors).toEqual(expect.arrayContaining(["0xbc8c11f8", "0xef3e12dc", "0x80f55605"]));
    const events = c.flowAbi.filter((x) => x.type === "event").map((x) => toEventSelector(x as never));
    expect(events).toContain(toEventSelector(flowAbi.find((x) => x.type === "event")!));
    const priceSelectors = c.fixedPriceAbi.filter((x) => x.type === "function").map((x) => toFunctionSelector(x as never));
    expect(priceSelectors).toContain("0x61ec5082");
  });
});
