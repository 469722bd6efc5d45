import { bytesToHex } from "@zerog/core";
import { describe, expect, it } from "vitest";
import { generateValidatorKey, signProofOfPossession } from "../../src/consensus/blsKeys.js";
import { ValidatorSets } from "../../src/consensus/validatorSets.js";
import { parseGenesis } from "../../src/execution/genesis.js";

const keys = Array.from({ length: 4 }, () => generateValidatorKey());
const validators = keys.map((k) => ({ address: k.address, publicKey: k.publicKey, power: 10n }));

describe("ValidatorSets", () => {
  it("applies the application's changes from height H at H+2, and advances priorities every height", () => {
    const sets = new ValidatorSets(validators);
    const at = (h: bigint) => sets.forHeight(h);
    expect(at(1n).size).toBe(4);
    const proposers = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n].map((h) => at(h).proposerIndex(0));
    // Equal powers: every validator proposes once per four heights.
    expect(new Set(proposers.slice(0, 4)).size).toBe(4);
    const extra = generateValidatorKey();
    sets.scheduleUpdates(5n, [{ address: extra.address, publicKey: extra.publicKey, power: 10n }]);
    expect(at(6n).size).toBe(4);
    expect(at(7n).size).toBe(5);
    expect(at(7n).indexOf(extra.address)).toBeGreaterThanOrEqual(0);
    sets.scheduleUpdates(7n, [{ address: keys[0]!.address, publicKey: keys[0]!.publicKey, power: 0n }]);
    expect(at(8n).size).toBe(5);
    expect(at(9n).size).toBe(4);
    expect(at(9n).indexOf(keys[0]!.address)).toBe(-1);
  });
});

describe("genesis validators", () => {
  const entry = (k: (typeof keys)[number], pop = signProofOfPossession(k)) => ({
    publicKey: bytesToHex(k.publicKey),
    power: "1",
    proofOfPossession: bytesToHex(pop),
  });

  it("need a proof of possession of their key", () => {
    expect(parseGenesis({ chainId: 1, validators: keys.map((k) => entry(k)) }).validators).toHaveLength(4);
    // Another key's proof does not prove this one.
    expect(() => parseGenesis({ chainId: 1, validators: [entry(keys[0]!, signProofOfPossession(keys[1]!))] })).toThrow(/proofOfPossession/);
    expect(() => parseGenesis({ chainId: 1, validators: [{ publicKey: bytesToHex(keys[0]!.publicKey), power: "1" }] })).toThrow(
      /proofOfPossession/,
    );
    expect(() => parseGenesis({ chainId: 1, validators: [entry(keys[0]!), entry(keys[0]!)] })).toThrow(/twice/);
  });
});
