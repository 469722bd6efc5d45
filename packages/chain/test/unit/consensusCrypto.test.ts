import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aggregateSignatures, fastAggregateVerify, PublicKey, Signature } from "@chainsafe/blst";
import { bytesToHex, isZgError, keccak256 } from "@zerog/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  blsSign,
  generateValidatorKey,
  isValidPublicKey,
  readValidatorKeyFile,
  signProofOfPossession,
  type ValidatorKey,
  validatorAddress,
  validatorKeyFromSecret,
  verifyProofOfPossession,
  writeValidatorKeyFile,
} from "../../src/consensus/blsKeys.js";
import { ConsensusErrorCode } from "../../src/consensus/errors.js";
import {
  aggregateCommit,
  commitSigners,
  createDuplicateVoteEvidence,
  decodeCommit,
  decodeEvidence,
  decodeProposal,
  decodeVote,
  encodeCommit,
  encodeEvidence,
  encodeProposal,
  encodeVote,
  proposalSignBytes,
  signProposal,
  signVote,
  type UnsignedVote,
  verifyCommit,
  verifyEvidence,
  verifyProposal,
  verifyVote,
  verifyVotes,
  voteSignBytes,
} from "../../src/consensus/signing.js";
import type { Commit, DuplicateVoteEvidence, Proposal, Validator, Vote } from "../../src/consensus/types.js";
import { VoteType } from "../../src/consensus/types.js";

const CHAIN_ID = 31337n;
const H = (b: number) => new Uint8Array(32).fill(b);

function keyN(i: number): ValidatorKey {
  const s = new Uint8Array(32);
  s[30] = (i + 1) >> 8;
  s[31] = (i + 1) & 0xff;
  return validatorKeyFromSecret(s);
}
const KEYS = Array.from({ length: 7 }, (_, i) => keyN(i));
function set(powers: bigint[]): Validator[] {
  return powers.map((power, i) => ({ address: KEYS[i]!.address, publicKey: KEYS[i]!.publicKey, power }));
}
function precommit(i: number, blockHash: Uint8Array | null, over: Partial<UnsignedVote> = {}): Vote {
  return signVote(CHAIN_ID, { type: VoteType.Precommit, height: 10n, round: 1, blockHash, validatorIndex: i, ...over }, KEYS[i]!);
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isZgError(e)) return e.code;
    throw e;
  }
  return undefined;
}

const dir = mkdtempSync(join(tmpdir(), "zg-bls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("BLS validator keys", () => {
  it("derives 48-byte keys, 96-byte signatures and the keccak address", () => {
    const k = generateValidatorKey();
    expect(k.publicKey.length).toBe(48);
    expect(k.secretKey.length).toBe(32);
    expect(blsSign(k, new Uint8Array([1])).length).toBe(96);
    expect(k.address).toEqual(keccak256(k.publicKey).slice(12));
    expect(validatorAddress(k.publicKey)).toEqual(k.address);
    expect(validatorKeyFromSecret(k.secretKey)).toEqual(k);
    expect(generateValidatorKey().publicKey).not.toEqual(k.publicKey);
  });

  it("rejects zero, too-large and wrong-length secrets", () => {
    expect(code(() => validatorKeyFromSecret(new Uint8Array(32)))).toBe(ConsensusErrorCode.BAD_KEY);
    expect(code(() => validatorKeyFromSecret(new Uint8Array(32).fill(0xff)))).toBe(ConsensusErrorCode.BAD_KEY);
    expect(code(() => validatorKeyFromSecret(new Uint8Array(31)))).toBe(ConsensusErrorCode.BAD_KEY);
  });

  it("key check rejects infinity, off-curve, uncompressed and wrong-length keys", () => {
    const inf = new Uint8Array(48);
    inf[0] = 0xc0;
    expect(isValidPublicKey(KEYS[0]!.publicKey)).toBe(true);
    expect(isValidPublicKey(inf)).toBe(false);
    expect(isValidPublicKey(new Uint8Array(48).fill(0xaa))).toBe(false);
    expect(isValidPublicKey(KEYS[0]!.publicKey.subarray(0, 47))).toBe(false);
    expect(isValidPublicKey(new Uint8Array(96))).toBe(false);
  });

  it("proof of possession verifies for its key only and is not a vote signature", () => {
    const pop = signProofOfPossession(KEYS[0]!);
    expect(verifyProofOfPossession(KEYS[0]!.publicKey, pop)).toBe(true);
    expect(verifyProofOfPossession(KEYS[1]!.publicKey, pop)).toBe(false);
    expect(verifyProofOfPossession(KEYS[0]!.publicKey, blsSign(KEYS[0]!, KEYS[0]!.publicKey))).toBe(false);
  });

  it("key files round-trip with mode 0600 and refuse to overwrite", () => {
    const path = join(dir, "key.json");
    writeValidatorKeyFile(path, KEYS[0]!);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readValidatorKeyFile(path)).toEqual(KEYS[0]);
    expect(code(() => writeValidatorKeyFile(path, KEYS[1]!))).toBe(ConsensusErrorCode.KEY_FILE);
    writeValidatorKeyFile(path, KEYS[1]!, { overwrite: true });
    expect(readValidatorKeyFile(path)).toEqual(KEYS[1]);
  });

  it("key files: missing, not JSON, bad hex and mismatched fields are clear errors", () => {
    const path = join(dir, "bad.json");
    expect(() => readValidatorKeyFile(join(dir, "nope.json"))).toThrow(/missing/);
    writeFileSync(path, "{not json");
    expect(() => readValidatorKeyFile(path)).toThrow(/not JSON/);
    const good = {
      address: bytesToHex(KEYS[0]!.address),
      publicKey: bytesToHex(KEYS[0]!.publicKey),
      secretKey: bytesToHex(KEYS[0]!.secretKey),
    };
    writeFileSync(path, JSON.stringify({ ...good, secretKey: "0x1234" }));
    expect(() => readValidatorKeyFile(path)).toThrow(/secretKey must be/);
    writeFileSync(path, JSON.stringify({ ...good, publicKey: bytesToHex(KEYS[1]!.publicKey) }));
    expect(() => readValidatorKeyFile(path)).toThrow(/publicKey does not match/);
    writeFileSync(path, JSON.stringify({ ...good, address: bytesToHex(KEYS[1]!.address) }));
    expect(() => readValidatorKeyFile(path)).toThrow(/address does not match/);
    writeFileSync(path, JSON.stringify({ ...good, secretKey: bytesToHex(new Uint8Array(32)) }));
    expect(() => readValidatorKeyFile(path)).toThrow(/not a valid BLS12-381 scalar/);
    writeFileSync(path, "null");
    expect(code(() => readValidatorKeyFile(path))).toBe(ConsensusErrorCode.KEY_FILE);
    expect(JSON.parse(readFileSync(path, "utf8"))).toBeNull();
  });
});

describe("vote and proposal signatures", () => {
  const vote = precommit(0, H(7));
  const proposal = signProposal(
    CHAIN_ID,
    { height: 10n, round: 2, polRound: 1, blockHash: H(7), timestamp: 1_700_000_000_000, validatorIndex: 0 },
    KEYS[0]!,
  );

  it("verify with the right key, chain and fields", () => {
    expect(verifyVote(CHAIN_ID, vote, KEYS[0]!.publicKey)).toBe(true);
    expect(verifyVote(CHAIN_ID, precommit(0, null), KEYS[0]!.publicKey)).toBe(true);
    expect(verifyProposal(CHAIN_ID, proposal, KEYS[0]!.publicKey)).toBe(true);
  });

  it("fail for a wrong chain id, height, round, type, hash, key or a flipped bit", () => {
    const pk = KEYS[0]!.publicKey;
    expect(verifyVote(1n, vote, pk)).toBe(false);
    expect(verifyVote(CHAIN_ID, { ...vote, height: 11n }, pk)).toBe(false);
    expect(verifyVote(CHAIN_ID, { ...vote, round: 2 }, pk)).toBe(false);
    expect(verifyVote(CHAIN_ID, { ...vote, type: VoteType.Prevote }, pk)).toBe(false);
    expect(verifyVote(CHAIN_ID, { ...vote, blockHash: H(8) }, pk)).toBe(false);
    expect(verifyVote(CHAIN_ID, { ...vote, blockHash: null }, pk)).toBe(false);
    expect(verifyVote(CHAIN_ID, vote, KEYS[1]!.publicKey)).toBe(false);
    for (const bit of [0, 7, 100, 767]) {
      const sig = vote.signature.slice();
      sig[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifyVote(CHAIN_ID, { ...vote, signature: sig }, pk)).toBe(false);
    }
    expect(verifyVote(CHAIN_ID, { ...vote, signature: vote.signature.subarray(0, 95) }, pk)).toBe(false);
    expect(verifyVote(CHAIN_ID, { ...vote, round: -1 }, pk)).toBe(false);
    expect(verifyProposal(1n, proposal, pk)).toBe(false);
    expect(verifyProposal(CHAIN_ID, { ...proposal, polRound: 0 }, pk)).toBe(false);
    expect(verifyProposal(CHAIN_ID, { ...proposal, timestamp: proposal.timestamp + 1 }, pk)).toBe(false);
  });

  it("the validator index and signature are not signed; domains keep votes and proposals apart", () => {
    expect(voteSignBytes(CHAIN_ID, vote)).toEqual(voteSignBytes(CHAIN_ID, { ...vote, validatorIndex: 5 }));
    const a = voteSignBytes(CHAIN_ID, vote);
    const b = proposalSignBytes(CHAIN_ID, proposal);
    expect(bytesToHex(a).slice(0, 40)).not.toEqual(bytesToHex(b).slice(0, 40));
    expect(voteSignBytes(CHAIN_ID, { ...vote, blockHash: null }).length).toBe(a.length - 32);
  });

  it("batch verification agrees with one-by-one and names the bad vote", () => {
    const items = KEYS.map((k, i) => ({ vote: precommit(i, H(1)), publicKey: k.publicKey }));
    expect(verifyVotes(CHAIN_ID, items)).toEqual(items.map(() => true));
    const bad = items.map((it, i) => (i === 3 ? { ...it, publicKey: KEYS[4]!.publicKey } : it));
    expect(verifyVotes(CHAIN_ID, bad)).toEqual(items.map((_, i) => i !== 3));
    const malformed = items.map((it, i) => (i === 2 ? { ...it, vote: { ...it.vote, signature: new Uint8Array(96) } } : it));
    expect(verifyVotes(CHAIN_ID, malformed)).toEqual(items.map((_, i) => i !== 2));
    expect(verifyVotes(CHAIN_ID, [])).toEqual([]);
  });

  it("batch verification names the bad vote among votes of different blocks, types and rounds", () => {
    const items = [
      precommit(0, H(1)),
      precommit(1, H(1)),
      precommit(2, H(2)),
      precommit(3, null),
      precommit(4, H(1), { type: VoteType.Prevote }),
      precommit(5, H(1), { type: VoteType.Prevote }),
      precommit(6, H(1), { round: 2 }),
    ].map((vote, i) => ({ vote, publicKey: KEYS[i]!.publicKey }));
    expect(verifyVotes(CHAIN_ID, items)).toEqual(items.map(() => true));
    for (const badAt of [0, 2, 5]) {
      const bad = items.map((it, i) => (i === badAt ? { ...it, vote: { ...it.vote, blockHash: H(9) } } : it));
      expect(verifyVotes(CHAIN_ID, bad)).toEqual(items.map((_, i) => i !== badAt));
    }
    expect(verifyVotes(CHAIN_ID, items.slice(0, 1))).toEqual([true]);
    expect(verifyVotes(1n, items.slice(0, 1))).toEqual([false]);
  });

  it("batch verification refuses two invalid signatures that cancel in a plain sum", () => {
    // a' = a + D and b' = b - D: each is invalid, but a' + b' = a + b is a valid aggregate of both votes.
    const [a, b] = [precommit(0, H(1)), precommit(1, H(1))];
    const d = precommit(2, H(7)).signature;
    const minusD = d.slice();
    minusD[0]! ^= 0x20; // the sign of y in a compressed G2 point: -D
    const a2 = aggregateSignatures([Signature.fromBytes(a.signature), Signature.fromBytes(d)]).toBytes();
    const b2 = aggregateSignatures([Signature.fromBytes(b.signature), Signature.fromBytes(minusD)]).toBytes();
    const items = [
      { vote: { ...a, signature: a2 }, publicKey: KEYS[0]!.publicKey },
      { vote: { ...b, signature: b2 }, publicKey: KEYS[1]!.publicKey },
    ];
    const plainSum = aggregateSignatures([Signature.fromBytes(a2), Signature.fromBytes(b2)]);
    const msg = voteSignBytes(CHAIN_ID, a);
    expect(fastAggregateVerify(msg, [PublicKey.fromBytes(KEYS[0]!.publicKey), PublicKey.fromBytes(KEYS[1]!.publicKey)], plainSum)).toBe(
      true,
    );
    expect(items.map((it) => verifyVote(CHAIN_ID, it.vote, it.publicKey))).toEqual([false, false]);
    expect(verifyVotes(CHAIN_ID, items)).toEqual([false, false]);
    expect(verifyVotes(CHAIN_ID, [...items, { vote: precommit(3, H(1)), publicKey: KEYS[3]!.publicKey }])).toEqual([false, false, true]);
  });
});

describe("codecs", () => {
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const round = fc.integer({ min: 0, max: 0x7fff_ffff });
  const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const sig = fc.uint8Array({ minLength: 96, maxLength: 96 });
  const index = fc.integer({ min: 0, max: 9_999 });
  const voteArb: fc.Arbitrary<Vote> = fc.record({
    type: fc.constantFrom(VoteType.Prevote, VoteType.Precommit),
    height: u64,
    round,
    blockHash: fc.option(hash, { nil: null }),
    validatorIndex: index,
    signature: sig,
  });
  const proposalArb: fc.Arbitrary<Proposal> = round.chain((r) =>
    fc.record({
      height: u64,
      round: fc.constant(r),
      polRound: fc.integer({ min: -1, max: r - 1 }),
      blockHash: hash,
      timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      validatorIndex: index,
      signature: sig,
    }),
  );
  const commitArb: fc.Arbitrary<Commit> = fc.record({
    height: u64,
    round,
    blockHash: hash,
    signers: fc.uint8Array({ minLength: 1, maxLength: 1250 }),
    signature: sig,
  });
  const u256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });
  const evidenceArb: fc.Arbitrary<DuplicateVoteEvidence> = fc.record({
    voteA: voteArb,
    voteB: voteArb,
    validator: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    validatorPower: u256,
    totalPower: u256,
  });

  const codecs = [
    { name: "vote", arb: voteArb, enc: encodeVote, dec: decodeVote },
    { name: "proposal", arb: proposalArb, enc: encodeProposal, dec: decodeProposal },
    { name: "commit", arb: commitArb, enc: encodeCommit, dec: decodeCommit },
    { name: "evidence", arb: evidenceArb, enc: encodeEvidence, dec: decodeEvidence },
  ] as { name: string; arb: fc.Arbitrary<unknown>; enc: (x: unknown) => Uint8Array; dec: (b: Uint8Array) => unknown }[];

  for (const c of codecs) {
    it(`${c.name}: round-trips, and every truncation, extension or other tag is a DECODE error`, () => {
      fc.assert(
        fc.property(c.arb, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }), (x, cut, extra) => {
          const bytes = c.enc(x);
          expect(c.dec(bytes)).toEqual(x);
          expect(code(() => c.dec(bytes.subarray(0, cut % bytes.length)))).toBe(ConsensusErrorCode.DECODE);
          const longer = new Uint8Array(bytes.length + extra.length);
          longer.set(bytes);
          longer.set(extra, bytes.length);
          expect(code(() => c.dec(longer))).toBe(ConsensusErrorCode.DECODE);
          const retag = bytes.slice();
          retag[0] = (retag[0]! % 4) + 1;
          expect(code(() => c.dec(retag))).toBe(ConsensusErrorCode.DECODE);
        }),
        { seed: 7, numRuns: 200 },
      );
    });
  }

  it("random bytes never crash a decoder: a value or a DECODE error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 4 }), (b, tag) => {
        const bytes = b.slice();
        if (bytes.length > 0) bytes[0] = tag;
        for (const c of codecs) {
          try {
            const x = c.dec(bytes);
            expect(c.enc(x)).toEqual(bytes);
          } catch (e) {
            expect(isZgError(e) && e.code).toBe(ConsensusErrorCode.DECODE);
          }
        }
      }),
      { seed: 11, numRuns: 2_000 },
    );
  });

  it("out-of-range fields are rejected when decoding", () => {
    const vote = encodeVote(precommit(0, H(7)));
    const v = (at: number, val: number) => {
      const b = vote.slice();
      b[at] = val;
      return code(() => decodeVote(b));
    };
    expect(v(1, 0)).toBe(ConsensusErrorCode.DECODE); // type 0
    expect(v(1, 3)).toBe(ConsensusErrorCode.DECODE); // type 3
    expect(v(10, 0x80)).toBe(ConsensusErrorCode.DECODE); // round ≥ 2^31
    expect(v(14, 2)).toBe(ConsensusErrorCode.DECODE); // nil flag 2
    expect(v(14, 0)).toBe(ConsensusErrorCode.DECODE); // nil flag with a hash following: trailing bytes
    expect(v(47, 0xff)).toBe(ConsensusErrorCode.DECODE); // validator index ≥ 10,000
    const p = encodeProposal(
      signProposal(CHAIN_ID, { height: 1n, round: 3, polRound: 2, blockHash: H(1), timestamp: 5, validatorIndex: 0 }, KEYS[0]!),
    );
    const pol = (val: number[]) => {
      const b = p.slice();
      b.set(val, 13);
      return code(() => decodeProposal(b));
    };
    expect(pol([0, 0, 0, 3])).toBe(ConsensusErrorCode.DECODE); // polRound = round
    expect(pol([0xff, 0xff, 0xff, 0xfe])).toBe(ConsensusErrorCode.DECODE); // polRound -2
    expect(pol([0xff, 0xff, 0xff, 0xff])).toBeUndefined(); // -1 is fine
    const ts = p.slice();
    ts.set([0, 0x20], 49); // timestamp ≥ 2^53
    expect(code(() => decodeProposal(ts))).toBe(ConsensusErrorCode.DECODE);
    const c = encodeCommit({ height: 1n, round: 0, blockHash: H(1), signers: new Uint8Array(2), signature: new Uint8Array(96) });
    const zeroBitmap = c.slice();
    zeroBitmap.set([0, 0], 45);
    expect(code(() => decodeCommit(zeroBitmap))).toBe(ConsensusErrorCode.DECODE);
  });

  it("encoding refuses out-of-range fields with INVALID_FIELD", () => {
    const vote = precommit(0, H(7));
    expect(code(() => encodeVote({ ...vote, height: -1n }))).toBe(ConsensusErrorCode.INVALID_FIELD);
    expect(code(() => encodeVote({ ...vote, height: 1n << 64n }))).toBe(ConsensusErrorCode.INVALID_FIELD);
    expect(code(() => encodeVote({ ...vote, round: 1.5 }))).toBe(ConsensusErrorCode.INVALID_FIELD);
    expect(code(() => encodeVote({ ...vote, blockHash: H(1).subarray(1) }))).toBe(ConsensusErrorCode.INVALID_FIELD);
    expect(code(() => encodeVote({ ...vote, validatorIndex: 10_000 }))).toBe(ConsensusErrorCode.INVALID_FIELD);
    expect(code(() => encodeVote({ ...vote, type: 3 as VoteType }))).toBe(ConsensusErrorCode.INVALID_FIELD);
    expect(code(() => encodeVote({ ...vote, signature: new Uint8Array(95) }))).toBe(ConsensusErrorCode.INVALID_FIELD);
    expect(code(() => voteSignBytes(1n << 64n, vote))).toBe(ConsensusErrorCode.INVALID_FIELD);
  });
});

describe("commits", () => {
  it("> 2/3 of the power passes; exactly 2/3 fails", () => {
    const vals = set([1n, 1n, 1n]);
    const two = aggregateCommit(10n, 1, H(7), [precommit(0, H(7)), precommit(2, H(7))], 3);
    expect(commitSigners(two, 3)).toEqual([0, 2]);
    expect(() => verifyCommit(CHAIN_ID, two, vals)).toThrow(/not more than 2\/3/);
    const three = aggregateCommit(
      10n,
      1,
      H(7),
      [0, 1, 2].map((i) => precommit(i, H(7))),
      3,
    );
    expect(() => verifyCommit(CHAIN_ID, three, vals)).not.toThrow();
    // weighted: 2 of 3 validators holding 7 of 10 power is enough, 6 of 9 is not
    expect(() => verifyCommit(CHAIN_ID, two, set([4n, 3n, 3n]))).not.toThrow();
    expect(() => verifyCommit(CHAIN_ID, two, set([3n, 3n, 3n]))).toThrow(/6 of 9/);
    expect(() => verifyCommit(CHAIN_ID, two, set([3n, 4n, 3n]))).toThrow(/6 of 10/);
  });

  it("a commit of 7 verifies, with encode/decode in between", () => {
    const vals = set(KEYS.map(() => 10n));
    const c = aggregateCommit(
      10n,
      1,
      H(7),
      [6, 0, 3, 1, 5].map((i) => precommit(i, H(7))),
      7,
    );
    expect(() => verifyCommit(CHAIN_ID, decodeCommit(encodeCommit(c)), vals)).not.toThrow();
    expect(code(() => verifyCommit(2n, c, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    expect(code(() => verifyCommit(CHAIN_ID, { ...c, round: 2 }, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    expect(code(() => verifyCommit(CHAIN_ID, { ...c, height: 9n }, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    expect(code(() => verifyCommit(CHAIN_ID, { ...c, blockHash: H(8) }, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    const flipped = c.signature.slice();
    flipped[50]! ^= 4;
    expect(code(() => verifyCommit(CHAIN_ID, { ...c, signature: flipped }, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
  });

  it("a bitmap naming a non-signer, of the wrong size, or past the set fails", () => {
    const vals = set(KEYS.map(() => 10n));
    const c = aggregateCommit(
      10n,
      1,
      H(7),
      [0, 1, 2, 3, 4, 5].map((i) => precommit(i, H(7))),
      7,
    );
    const extra = c.signers.slice();
    extra[0]! |= 1 << 6;
    expect(code(() => verifyCommit(CHAIN_ID, { ...c, signers: extra }, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    const missing = c.signers.slice();
    missing[0]! &= ~1;
    expect(code(() => verifyCommit(CHAIN_ID, { ...c, signers: missing }, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    expect(() => verifyCommit(CHAIN_ID, { ...c, signers: new Uint8Array([0x1f, 0]) }, vals)).toThrow(/bitmap of 2 bytes/);
    expect(() => verifyCommit(CHAIN_ID, { ...c, signers: new Uint8Array([0x9f]) }, vals)).toThrow(/beyond the set/);
    expect(() => verifyCommit(CHAIN_ID, c, [])).toThrow(/set of 0/);
    const badKey = vals.map((v, i) => (i === 2 ? { ...v, publicKey: new Uint8Array(48) } : v));
    expect(() => verifyCommit(CHAIN_ID, c, badKey)).toThrow(/invalid public key/);
  });

  it("aggregation rejects duplicate signers, other blocks, heights, rounds, prevotes and bad indices", () => {
    const agg = (votes: Vote[], n = 7) => code(() => aggregateCommit(10n, 1, H(7), votes, n));
    expect(agg([precommit(0, H(7)), precommit(0, H(7))])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([precommit(0, H(7)), precommit(1, H(8))])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([precommit(0, H(7)), precommit(1, null)])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([precommit(0, H(7), { height: 11n })])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([precommit(0, H(7), { round: 0 })])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([precommit(0, H(7), { type: VoteType.Prevote })])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([precommit(5, H(7))], 5)).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
    expect(agg([{ ...precommit(0, H(7)), signature: new Uint8Array(96).fill(0xaa) }])).toBe(ConsensusErrorCode.INVALID_AGGREGATE);
  });
});

describe("duplicate-vote evidence", () => {
  const vals = set([5n, 5n, 5n, 5n]);
  const a = signVote(CHAIN_ID, { type: VoteType.Prevote, height: 3n, round: 0, blockHash: H(9), validatorIndex: 2 }, KEYS[2]!);
  const b = signVote(CHAIN_ID, { type: VoteType.Prevote, height: 3n, round: 0, blockHash: null, validatorIndex: 2 }, KEYS[2]!);
  const ev = createDuplicateVoteEvidence(a, b, vals);

  it("verifies conflicting votes (nil counts as a block id), in canonical order, after a round trip", () => {
    expect(ev.voteA.blockHash).toBeNull();
    expect(ev).toMatchObject({ validator: KEYS[2]!.address, validatorPower: 5n, totalPower: 20n });
    expect(() => verifyEvidence(CHAIN_ID, decodeEvidence(encodeEvidence(ev)), vals)).not.toThrow();
    const c = signVote(CHAIN_ID, { ...a, blockHash: H(1) }, KEYS[2]!);
    expect(() => verifyEvidence(CHAIN_ID, createDuplicateVoteEvidence(a, c, vals), vals)).not.toThrow();
  });

  it("rejects same block, wrong order, mixed validators/heights/rounds/types, wrong power and bad signatures", () => {
    const bad = (e: DuplicateVoteEvidence) => code(() => verifyEvidence(CHAIN_ID, e, vals));
    expect(bad({ ...ev, voteB: ev.voteA })).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
    expect(bad({ ...ev, voteA: ev.voteB, voteB: ev.voteA })).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
    const other = signVote(CHAIN_ID, { ...a, validatorIndex: 1 }, KEYS[1]!);
    expect(bad({ ...ev, voteB: other })).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
    for (const change of [{ height: 4n }, { round: 1 }, { type: VoteType.Precommit }] as Partial<UnsignedVote>[]) {
      expect(bad({ ...ev, voteB: signVote(CHAIN_ID, { ...a, ...change }, KEYS[2]!) })).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
    }
    expect(bad({ ...ev, validatorPower: 6n })).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
    expect(bad({ ...ev, totalPower: 21n })).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
    expect(bad({ ...ev, validator: KEYS[1]!.address })).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
    const forged = { ...ev.voteB, signature: signVote(CHAIN_ID, ev.voteB, KEYS[3]!).signature };
    expect(bad({ ...ev, voteB: forged })).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    expect(code(() => verifyEvidence(1n, ev, vals))).toBe(ConsensusErrorCode.BAD_SIGNATURE);
    expect(code(() => verifyEvidence(CHAIN_ID, ev, vals.slice(0, 2)))).toBe(ConsensusErrorCode.INVALID_EVIDENCE);
  });
});
