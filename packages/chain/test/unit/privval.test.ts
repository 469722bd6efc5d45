import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isZgError } from "@zerog/core";
import { afterAll, describe, expect, it } from "vitest";
import { validatorKeyFromSecret } from "../../src/consensus/blsKeys.js";
import { ConsensusErrorCode } from "../../src/consensus/errors.js";
import { PrivValidator, readPrivValidatorState } from "../../src/consensus/privval.js";
import { type UnsignedProposal, type UnsignedVote, verifyProposal, verifyVote } from "../../src/consensus/signing.js";
import { Step, VoteType } from "../../src/consensus/types.js";

const CHAIN_ID = 31337n;
const KEY = validatorKeyFromSecret(new Uint8Array(32).fill(3));
const OTHER = validatorKeyFromSecret(new Uint8Array(32).fill(4));
const H = (b: number) => new Uint8Array(32).fill(b);
const dir = mkdtempSync(join(tmpdir(), "zg-privval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `state-${n++}.json`);

const prevote = (height: bigint, round: number, blockHash: Uint8Array | null): UnsignedVote => ({
  type: VoteType.Prevote,
  height,
  round,
  blockHash,
  validatorIndex: 0,
});
const precommit = (height: bigint, round: number, blockHash: Uint8Array | null): UnsignedVote => ({
  ...prevote(height, round, blockHash),
  type: VoteType.Precommit,
});
const proposal = (height: bigint, round: number, blockHash: Uint8Array, timestamp = 1000): UnsignedProposal => ({
  height,
  round,
  polRound: -1,
  blockHash,
  timestamp,
  validatorIndex: 0,
});

function refusal(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isZgError(e) && e.code === ConsensusErrorCode.DOUBLE_SIGN) return (e.type as { reason: string }).reason;
    throw e;
  }
  return undefined;
}

describe("PrivValidator", () => {
  it("signs forward through propose < prevote < precommit and the next round and height", () => {
    const path = freshPath();
    const pv = new PrivValidator({ statePath: path }, { key: KEY });
    expect(pv.lastSigned).toBeNull();
    const p = pv.signProposal(CHAIN_ID, proposal(5n, 0, H(1)));
    expect(verifyProposal(CHAIN_ID, p, KEY.publicKey)).toBe(true);
    const v1 = pv.signVote(CHAIN_ID, prevote(5n, 0, H(1)));
    const v2 = pv.signVote(CHAIN_ID, precommit(5n, 0, null));
    expect(verifyVote(CHAIN_ID, v1, KEY.publicKey) && verifyVote(CHAIN_ID, v2, KEY.publicKey)).toBe(true);
    pv.signVote(CHAIN_ID, prevote(5n, 1, null));
    pv.signVote(CHAIN_ID, prevote(6n, 0, H(2)));
    expect(pv.lastSigned).toMatchObject({ height: 6n, round: 0, step: Step.Prevote });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("refuses an earlier height, round or step", () => {
    const pv = new PrivValidator({ statePath: freshPath() }, { key: KEY });
    pv.signVote(CHAIN_ID, prevote(5n, 2, H(1)));
    expect(refusal(() => pv.signVote(CHAIN_ID, prevote(4n, 9, H(1))))).toBe("regression");
    expect(refusal(() => pv.signVote(CHAIN_ID, precommit(5n, 1, H(1))))).toBe("regression");
    expect(refusal(() => pv.signProposal(CHAIN_ID, proposal(5n, 2, H(1))))).toBe("regression");
    pv.signVote(CHAIN_ID, precommit(5n, 2, H(1)));
    expect(refusal(() => pv.signVote(CHAIN_ID, prevote(5n, 2, H(1))))).toBe("regression");
  });

  it("refuses another value at the same HRS; the identical one gets the stored signature", () => {
    const pv = new PrivValidator({ statePath: freshPath() }, { key: KEY });
    const v = pv.signVote(CHAIN_ID, prevote(5n, 0, H(1)));
    expect(pv.signVote(CHAIN_ID, prevote(5n, 0, H(1))).signature).toEqual(v.signature);
    expect(refusal(() => pv.signVote(CHAIN_ID, prevote(5n, 0, H(2))))).toBe("conflict");
    expect(refusal(() => pv.signVote(CHAIN_ID, prevote(5n, 0, null)))).toBe("conflict");
    expect(refusal(() => pv.signVote(7n, prevote(5n, 0, H(1))))).toBe("conflict");
  });

  it("a proposal re-made with only a new timestamp keeps the first timestamp and signature", () => {
    const pv = new PrivValidator({ statePath: freshPath() }, { key: KEY });
    const p = pv.signProposal(CHAIN_ID, proposal(5n, 0, H(1), 1000));
    const again = pv.signProposal(CHAIN_ID, proposal(5n, 0, H(1), 2000));
    expect(again).toEqual(p);
    expect(verifyProposal(CHAIN_ID, again, KEY.publicKey)).toBe(true);
    expect(refusal(() => pv.signProposal(CHAIN_ID, proposal(5n, 0, H(2), 1000)))).toBe("conflict");
    expect(refusal(() => pv.signProposal(CHAIN_ID, { ...proposal(5n, 0, H(1)), polRound: -1, timestamp: 1000, height: 5n }))).toBe(
      undefined,
    );
  });

  it("crash after persist, before return: a restarted guard re-signs identical bytes and refuses others", () => {
    const path = freshPath();
    const first = new PrivValidator({ statePath: path }, { key: KEY });
    first.signVote(CHAIN_ID, prevote(8n, 0, H(1)));
    // The precommit is on disk; the process dies before the signature reaches the network.
    const lost = first.signVote(CHAIN_ID, precommit(8n, 0, H(1))).signature;
    const restarted = new PrivValidator({ statePath: path }, { key: KEY });
    expect(restarted.lastSigned).toMatchObject({ height: 8n, round: 0, step: Step.Precommit });
    expect(restarted.signVote(CHAIN_ID, precommit(8n, 0, H(1))).signature).toEqual(lost);
    expect(refusal(() => restarted.signVote(CHAIN_ID, precommit(8n, 0, null)))).toBe("conflict");
    expect(refusal(() => restarted.signVote(CHAIN_ID, prevote(8n, 0, H(1))))).toBe("regression");
  });

  it("a crash mid-write leaves the previous state (a stray temp file is ignored)", () => {
    const path = freshPath();
    new PrivValidator({ statePath: path }, { key: KEY }).signVote(CHAIN_ID, prevote(3n, 0, H(1)));
    writeFileSync(`${path}.tmp`, '{"height":"9","rou');
    const pv = new PrivValidator({ statePath: path }, { key: KEY });
    expect(pv.lastSigned).toMatchObject({ height: 3n, step: Step.Prevote });
    pv.signVote(CHAIN_ID, precommit(3n, 0, H(1)));
    expect(new PrivValidator({ statePath: path }, { key: KEY }).lastSigned).toMatchObject({ height: 3n, step: Step.Precommit });
  });

  it("detects a corrupt, tampered or foreign state file", () => {
    const path = freshPath();
    new PrivValidator({ statePath: path }, { key: KEY }).signVote(CHAIN_ID, precommit(12n, 3, H(1)));
    const good = readFileSync(path, "utf8");
    const load = () => {
      try {
        new PrivValidator({ statePath: path }, { key: KEY });
      } catch (e) {
        return isZgError(e) ? `${e.code} ${e.message}` : String(e);
      }
      return "ok";
    };
    expect(load()).toBe("ok");
    for (const [text, why] of [
      [good.slice(0, good.length / 2), /not JSON/],
      ["", /not JSON/],
      ["[]", /height/],
      [good.replace('"height":"12"', '"height":"11"'), /checksum/],
      [good.replace('"round":3', '"round":2'), /checksum/],
      [good.replace('"step":3', '"step":4'), /step/],
      [good.replace(/"signature":"0x(..)/, '"signature":"0x00'), /checksum|signature/],
      [good.replace(/"checksum":"0x(..)/, (_m, b: string) => `"checksum":"0x${b === "00" ? "01" : "00"}`), /checksum/],
    ] as [string, RegExp][]) {
      writeFileSync(path, text);
      expect(load()).toMatch(ConsensusErrorCode.PRIVVAL_STATE);
      expect(load()).toMatch(why);
    }
    writeFileSync(path, good);
    expect(() => new PrivValidator({ statePath: path }, { key: OTHER })).toThrow(/another validator key/);
    expect(readPrivValidatorState(path, KEY.publicKey)).toMatchObject({ height: 12n, round: 3 });
  });

  it("requireState refuses to start without a state file", () => {
    expect(() => new PrivValidator({ statePath: freshPath(), requireState: true }, { key: KEY })).toThrow(/missing/);
  });

  it("fails closed when the state cannot be persisted: no signature, no state change", () => {
    const pv = new PrivValidator({ statePath: join(dir, "no-such-dir", "state.json") }, { key: KEY });
    let err: unknown;
    try {
      pv.signVote(CHAIN_ID, prevote(1n, 0, H(1)));
    } catch (e) {
      err = e;
    }
    expect(isZgError(err) && err.code).toBe(ConsensusErrorCode.PRIVVAL_STATE);
    expect(pv.lastSigned).toBeNull();
  });
});
