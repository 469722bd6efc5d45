import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validatorKeyFromSecret } from "../../src/consensus/blsKeys.js";
import { PrivValidator } from "../../src/consensus/privval.js";
import { aggregateCommit, decodeVote, encodeVote, signVote, verifyCommit, verifyVote, verifyVotes } from "../../src/consensus/signing.js";
import { type Validator, VoteType } from "../../src/consensus/types.js";
import { ConsensusWAL, WALRecordKind } from "../../src/consensus/wal.js";

/**
 * Costs of the consensus crypto and durability path, printed (never asserted: timing is not a test).
 * Run alone: npx vitest run --project unit packages/chain/test/unit/consensusCryptoCost
 */

const CHAIN_ID = 31337n;
const HASH = new Uint8Array(32).fill(7);
const KEYS = Array.from({ length: 100 }, (_, i) => {
  const s = new Uint8Array(32);
  s[31] = i + 1;
  s[0] = 0x11;
  return validatorKeyFromSecret(s);
});
const VALIDATORS: Validator[] = KEYS.map((k) => ({ address: k.address, publicKey: k.publicKey, power: 10n }));
const PRECOMMITS = KEYS.map((k, i) =>
  signVote(CHAIN_ID, { type: VoteType.Precommit, height: 9n, round: 0, blockHash: HASH, validatorIndex: i }, k),
);
const dir = mkdtempSync(join(tmpdir(), "zg-cost-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ms(iterations: number, f: (i: number) => void): number {
  f(0); // warm-up
  const t = performance.now();
  for (let i = 0; i < iterations; i++) f(i);
  return (performance.now() - t) / iterations;
}

describe("consensus crypto costs (printed)", () => {
  it("measures sign, verify, commits, batch verification, codecs, WAL and privval", () => {
    const rows: [string, number][] = [];
    const vote = PRECOMMITS[0]!;
    rows.push(["sign vote (BLS sign + sign bytes)", ms(200, (i) => signVote(CHAIN_ID, { ...vote, round: i }, KEYS[0]!))]);
    rows.push(["verify vote", ms(200, () => verifyVote(CHAIN_ID, vote, KEYS[0]!.publicKey))]);
    for (const n of [4, 100]) {
      const set = VALIDATORS.slice(0, n);
      const votes = PRECOMMITS.slice(0, n);
      const unverified = votes.map((v) => ({ ...v, signature: v.signature.slice() }));
      rows.push([`aggregate ${n} precommits, not verified before (decompress)`, ms(50, () => aggregateCommit(9n, 0, HASH, unverified, n))]);
      expect(votes.every((v, i) => verifyVote(CHAIN_ID, v, KEYS[i]!.publicKey))).toBe(true);
      rows.push([`aggregate ${n} verified precommits`, ms(50, () => aggregateCommit(9n, 0, HASH, votes, n))]);
      const commit = aggregateCommit(9n, 0, HASH, votes, n);
      rows.push([`verify ${n}-validator commit (keys cached)`, ms(50, () => verifyCommit(CHAIN_ID, commit, set))]);
      rows.push([
        `aggregate + verify ${n}-validator commit`,
        ms(50, () => verifyCommit(CHAIN_ID, aggregateCommit(9n, 0, HASH, votes, n), set)),
      ]);
    }
    for (const n of [2, 8, 100]) {
      const items = PRECOMMITS.slice(0, n).map((v, i) => ({ vote: v, publicKey: KEYS[i]!.publicKey }));
      const batch = ms(10, () => expect(verifyVotes(CHAIN_ID, items).every(Boolean)).toBe(true));
      const single = ms(10, () => items.every((it) => verifyVote(CHAIN_ID, it.vote, it.publicKey)));
      rows.push([`verify ${n} votes: batch (per vote)`, batch / n]);
      rows.push([`verify ${n} votes: one by one (per vote)`, single / n]);
    }
    const enc = encodeVote(vote);
    rows.push(["encode + decode vote", ms(20_000, () => decodeVote(encodeVote(vote)))]);
    expect(decodeVote(enc)).toEqual(vote);

    const wal = ConsensusWAL.open(join(dir, "wal"));
    wal.replay(1n);
    rows.push([
      "WAL append 147-byte vote + flush (fsync)",
      ms(300, () => {
        wal.append(WALRecordKind.Vote, enc);
        wal.flush();
      }),
    ]);
    rows.push(["WAL append only (buffered)", ms(20_000, () => wal.append(WALRecordKind.Vote, enc))]);
    rows.push(["WAL writeEndHeight (truncate + fsync)", ms(300, (i) => wal.writeEndHeight(BigInt(i)))]);
    wal.close();
    const pv = new PrivValidator({ statePath: join(dir, "pv.json") }, { key: KEYS[0]! });
    let h = 1n;
    rows.push([
      "privval sign vote (BLS + durable state)",
      ms(200, () => pv.signVote(CHAIN_ID, { type: VoteType.Prevote, height: h++, round: 0, blockHash: HASH, validatorIndex: 0 })),
    ]);

    console.log(`\n| operation | ms |\n|---|---:|\n${rows.map(([k, v]) => `| ${k} | ${v.toFixed(3)} |`).join("\n")}\n`);
  });
});
