import {
  aggregateSignatures,
  aggregateWithRandomness,
  fastAggregateVerify,
  type PublicKey,
  Signature,
  type SignatureSet,
  verify,
  verifyMultipleAggregateSignatures,
} from "@chainsafe/blst";
import { compareBytes, equalsBytes, utf8ToBytes } from "@zerog/core";
import { blsSign, blsVerify, SIGNATURE_LENGTH, toBLSPublicKey, toBLSSignature, type ValidatorKey } from "./blsKeys.js";
import { ConsensusError, ConsensusErrorCode } from "./errors.js";
import type { Commit, DuplicateVoteEvidence, Proposal, Validator, Vote } from "./types.js";
import { VoteType } from "./types.js";

/**
 * What validators sign, and the checks on signed things: votes, proposals, aggregated commits and
 * duplicate-vote evidence. Sign bytes are fixed-layout big-endian with a per-message domain prefix
 * and the chain id, so no two messages of any kind, chain or field values share bytes.
 */

export const BLOCK_HASH_LENGTH = 32;
/** Largest validator set a commit bitmap may describe (CometBFT's MaxVotesCount). */
export const MAX_VALIDATORS = 10_000;
const MAX_ROUND = 0x7fff_ffff;
const MAX_U64 = (1n << 64n) - 1n;
const MAX_U256 = (1n << 256n) - 1n;

const VOTE_DOMAIN = utf8ToBytes("zerog/consensus/vote/v1:");
const PROPOSAL_DOMAIN = utf8ToBytes("zerog/consensus/proposal/v1:");

export type UnsignedVote = Omit<Vote, "signature">;
export type UnsignedProposal = Omit<Proposal, "signature">;

// ---- sign bytes ----

/** domain | chainId u64 | type u8 | height u64 | round u32 | 0 (nil) or 1 | blockHash (absent when nil). */
export function voteSignBytes(chainId: bigint, vote: Pick<Vote, "type" | "height" | "round" | "blockHash">): Uint8Array {
  const w = new Writer(VOTE_DOMAIN.length + 22 + (vote.blockHash === null ? 0 : BLOCK_HASH_LENGTH));
  w.bytes(VOTE_DOMAIN);
  w.u64(chainId, "chainId");
  w.voteFields(vote);
  return w.done();
}

/** domain | chainId u64 | height u64 | round u32 | polRound i32 | blockHash | timestamp u64. */
export function proposalSignBytes(
  chainId: bigint,
  p: Pick<Proposal, "height" | "round" | "polRound" | "blockHash" | "timestamp">,
): Uint8Array {
  const w = new Writer(PROPOSAL_DOMAIN.length + 32 + BLOCK_HASH_LENGTH);
  w.bytes(PROPOSAL_DOMAIN);
  w.u64(chainId, "chainId");
  w.proposalFields(p);
  return w.done();
}

export function signVote(chainId: bigint, vote: UnsignedVote, key: ValidatorKey): Vote {
  return { ...vote, signature: blsSign(key, voteSignBytes(chainId, vote)) };
}

/** False for any bad field, key or signature; never throws. */
export function verifyVote(chainId: bigint, vote: Vote, publicKey: Uint8Array): boolean {
  const msg = tryEncode(() => voteSignBytes(chainId, vote));
  const pk = toBLSPublicKey(publicKey);
  const sig = toBLSSignature(vote.signature);
  if (msg === null || pk === null || sig === null || !verify(msg, pk, sig)) return false;
  verifiedSignatures.set(vote.signature, sig);
  return true;
}

/**
 * Signatures already decompressed by a successful verification, keyed by the vote's signature array,
 * so `aggregateCommit` skips decompression (3.2 ms → 0.2 ms for 100 votes). Only aggregation reads
 * it, and `verifyCommit` checks the aggregate, so a signature array mutated after verification can
 * at worst yield a commit that fails verification.
 */
const verifiedSignatures = new WeakMap<Uint8Array, Signature>();

export function signProposal(chainId: bigint, proposal: UnsignedProposal, key: ValidatorKey): Proposal {
  return { ...proposal, signature: blsSign(key, proposalSignBytes(chainId, proposal)) };
}

export function verifyProposal(chainId: bigint, proposal: Proposal, publicKey: Uint8Array): boolean {
  const msg = tryEncode(() => proposalSignBytes(chainId, proposal));
  return msg !== null && blsVerify(publicKey, msg, proposal.signature);
}

/**
 * Verifies votes together; result i is for items[i]. Votes that sign the same bytes (the prevotes or precommits
 * of one block) are summed with random 64-bit weights on both keys and signatures (`aggregateWithRandomness`, as
 * Lodestar does for attestations), so such a group costs one pairing check: 3 votes 1.6 ms against 3.0 one by one.
 * The weights keep signatures that are each invalid from cancelling in the sum. Groups of different bytes are
 * checked in one randomised multi-pairing. If anything fails, each vote is checked alone to tell which.
 */
export function verifyVotes(chainId: bigint, items: readonly { vote: Vote; publicKey: Uint8Array }[]): boolean[] {
  if (items.length === 1) return [verifyVote(chainId, items[0]!.vote, items[0]!.publicKey)];
  const groups = new Map<string, { msg: Uint8Array; members: { pk: PublicKey; sig: Uint8Array }[] }>();
  let wellFormed = items.length > 0;
  for (const { vote, publicKey } of items) {
    const msg = tryEncode(() => voteSignBytes(chainId, vote));
    const pk = toBLSPublicKey(publicKey);
    if (msg === null || pk === null || vote.signature.length !== SIGNATURE_LENGTH) {
      wellFormed = false;
      break;
    }
    const key = Buffer.from(msg.buffer, msg.byteOffset, msg.length).toString("latin1");
    const group = groups.get(key);
    if (group) group.members.push({ pk, sig: vote.signature });
    else groups.set(key, { msg, members: [{ pk, sig: vote.signature }] });
  }
  if (wellFormed && batchValid([...groups.values()])) return items.map(() => true);
  return items.map(({ vote, publicKey }) => verifyVote(chainId, vote, publicKey));
}

function batchValid(groups: { msg: Uint8Array; members: { pk: PublicKey; sig: Uint8Array }[] }[]): boolean {
  try {
    const sets: SignatureSet[] = [];
    for (const { msg, members } of groups) {
      if (members.length === 1) {
        const sig = toBLSSignature(members[0]!.sig);
        if (sig === null) return false;
        sets.push({ msg, pk: members[0]!.pk, sig });
      } else {
        // Deserialises, infinity- and group-checks every signature before weighting.
        const { pk, sig } = aggregateWithRandomness(members);
        sets.push({ msg, pk, sig });
      }
    }
    if (sets.length === 1) return verify(sets[0]!.msg, sets[0]!.pk, sets[0]!.sig, false, false);
    return verifyMultipleAggregateSignatures(sets, false, false);
  } catch {
    return false;
  }
}

// ---- commits ----

/**
 * Aggregates precommits for one block into a commit. The votes' signatures must already have been
 * verified (the driver does, in batches as they arrive); `verifyCommit` checks the result anyway.
 */
export function aggregateCommit(
  height: bigint,
  round: number,
  blockHash: Uint8Array,
  precommits: readonly Vote[],
  validatorCount: number,
): Commit {
  const fail: (reason: string) => never = (reason) => {
    throw new ConsensusError({ code: ConsensusErrorCode.INVALID_AGGREGATE, reason });
  };
  if (!Number.isInteger(validatorCount) || validatorCount < 1 || validatorCount > MAX_VALIDATORS) fail(`validator count ${validatorCount}`);
  if (blockHash.length !== BLOCK_HASH_LENGTH) fail("block hash must be 32 bytes");
  if (precommits.length === 0) fail("no precommits");
  const signers = new Uint8Array(bitmapLength(validatorCount));
  const sigs: Signature[] = [];
  for (const v of precommits) {
    if (v.type !== VoteType.Precommit) fail(`vote of validator ${v.validatorIndex} is not a precommit`);
    if (v.height !== height || v.round !== round) fail(`vote of validator ${v.validatorIndex} is for ${v.height}/${v.round}`);
    if (v.blockHash === null || !equalsBytes(v.blockHash, blockHash)) fail(`vote of validator ${v.validatorIndex} is for another block`);
    const i = v.validatorIndex;
    if (!Number.isInteger(i) || i < 0 || i >= validatorCount) fail(`validator index ${i} out of range`);
    if (bitSet(signers, i)) fail(`duplicate signer ${i}`);
    if (v.signature.length !== SIGNATURE_LENGTH) fail(`signature of validator ${i} is not 96 bytes`);
    signers[i >> 3]! |= 1 << (i & 7);
    sigs.push(verifiedSignatures.get(v.signature) ?? parseSignature(v.signature, i, fail));
  }
  // No group check (5.9 ms per 100 signatures): verifyCommit group-checks the aggregate once.
  const signature = aggregateSignatures(sigs, false).toBytes();
  return { height, round, blockHash: blockHash.slice(), signers, signature };
}

/**
 * Throws unless `commit` proves that more than 2/3 of the set's power precommitted `blockHash`: a
 * bitmap of the set's size, the signers' power, and one fast-aggregate verification (the set's keys
 * must have passed `verifyProofOfPossession` when they joined).
 */
export function verifyCommit(chainId: bigint, commit: Commit, validators: readonly Validator[]): void {
  const fail: (reason: string) => never = (reason) => {
    throw new ConsensusError({ code: ConsensusErrorCode.INVALID_COMMIT, height: commit.height, reason }, `invalid commit: ${reason}`);
  };
  const n = validators.length;
  if (n === 0 || n > MAX_VALIDATORS) fail(`validator set of ${n}`);
  if (commit.signers.length !== bitmapLength(n)) fail(`bitmap of ${commit.signers.length} bytes for ${n} validators`);
  if (n % 8 !== 0 && commit.signers[commit.signers.length - 1]! >> (n % 8) !== 0) fail("bitmap names validators beyond the set");
  const msg = tryEncode(() => voteSignBytes(chainId, { type: VoteType.Precommit, ...commit }));
  if (msg === null) fail("height, round or block hash out of range");
  let total = 0n;
  let signed = 0n;
  const pks: PublicKey[] = [];
  for (let i = 0; i < n; i++) {
    const v = validators[i]!;
    total += v.power;
    if (!bitSet(commit.signers, i)) continue;
    signed += v.power;
    const pk = toBLSPublicKey(v.publicKey);
    if (pk === null) fail(`validator ${i} has an invalid public key`);
    pks.push(pk);
  }
  if (total <= 0n) fail("validator set has no power");
  if (signed * 3n <= total * 2n) fail(`signers hold ${signed} of ${total} power, not more than 2/3`);
  const sig = toBLSSignature(commit.signature);
  if (sig === null || !fastAggregateVerify(msg, pks, sig)) {
    throw new ConsensusError({ code: ConsensusErrorCode.BAD_SIGNATURE, what: `commit at height ${commit.height}` });
  }
}

/** Indices of the validators a commit's bitmap names, ascending. */
export function commitSigners(commit: Pick<Commit, "signers">, validatorCount: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < validatorCount && i >> 3 < commit.signers.length; i++) if (bitSet(commit.signers, i)) out.push(i);
  return out;
}

function parseSignature(bytes: Uint8Array, i: number, fail: (reason: string) => never): Signature {
  try {
    return Signature.fromBytes(bytes);
  } catch {
    return fail(`signature of validator ${i} is not a G2 point`);
  }
}

function bitmapLength(n: number): number {
  return (n + 7) >> 3;
}

function bitSet(bitmap: Uint8Array, i: number): boolean {
  return ((bitmap[i >> 3]! >> (i & 7)) & 1) === 1;
}

// ---- evidence ----

/** Evidence in canonical order (voteA's block id sorts first, nil before any hash), as verifyEvidence wants. */
export function createDuplicateVoteEvidence(voteA: Vote, voteB: Vote, validators: readonly Validator[]): DuplicateVoteEvidence {
  const v = validators[voteA.validatorIndex];
  if (v === undefined) throw new ConsensusError({ code: ConsensusErrorCode.INVALID_EVIDENCE, reason: "validator index out of range" });
  const [a, b] = compareBlockIds(voteA.blockHash, voteB.blockHash) <= 0 ? [voteA, voteB] : [voteB, voteA];
  return { voteA: a, voteB: b, validator: v.address, validatorPower: v.power, totalPower: totalPower(validators) };
}

/**
 * Throws unless `ev` proves equivocation by a member of `validators` (the set at the votes' height):
 * same validator, height, round and type, different block ids (nil is one), both signatures valid.
 */
export function verifyEvidence(chainId: bigint, ev: DuplicateVoteEvidence, validators: readonly Validator[]): void {
  const fail: (reason: string) => never = (reason) => {
    throw new ConsensusError({ code: ConsensusErrorCode.INVALID_EVIDENCE, reason }, `invalid evidence: ${reason}`);
  };
  const { voteA: a, voteB: b } = ev;
  if (a.validatorIndex !== b.validatorIndex) fail("votes are from different validators");
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type) fail("votes differ in height, round or type");
  const order = compareBlockIds(a.blockHash, b.blockHash);
  if (order === 0) fail("votes are for the same block");
  if (order > 0) fail("votes are not in canonical order");
  const v = validators[a.validatorIndex];
  if (v === undefined) fail(`validator index ${a.validatorIndex} out of range`);
  if (!equalsBytes(v.address, ev.validator)) fail("validator address does not match the set");
  if (v.power !== ev.validatorPower) fail(`validator power ${ev.validatorPower}, set says ${v.power}`);
  if (totalPower(validators) !== ev.totalPower) fail(`total power ${ev.totalPower}, set says ${totalPower(validators)}`);
  for (const [name, vote] of [["voteA", a] as const, ["voteB", b] as const]) {
    if (!verifyVote(chainId, vote, v.publicKey)) {
      throw new ConsensusError({ code: ConsensusErrorCode.BAD_SIGNATURE, what: `evidence ${name}` });
    }
  }
}

function compareBlockIds(a: Uint8Array | null, b: Uint8Array | null): number {
  if (a === null) return b === null ? 0 : -1;
  return b === null ? 1 : compareBytes(a, b);
}

function totalPower(validators: readonly Validator[]): bigint {
  let t = 0n;
  for (const v of validators) t += v.power;
  return t;
}

// ---- wire / WAL / store codecs: a tag byte, then fixed-width big-endian fields ----

const TAG_VOTE = 0x01;
const TAG_PROPOSAL = 0x02;
const TAG_COMMIT = 0x03;
const TAG_EVIDENCE = 0x04;

/** tag | type u8 | height u64 | round u32 | nil flag u8 | [blockHash] | validatorIndex u32 | signature. */
export function encodeVote(vote: Vote): Uint8Array {
  const w = new Writer(voteLength(vote));
  w.u8(TAG_VOTE);
  writeVoteBody(w, vote);
  return w.done();
}

export function decodeVote(bytes: Uint8Array): Vote {
  const r = new Reader(bytes, "vote");
  r.tag(TAG_VOTE);
  const v = readVoteBody(r);
  r.end();
  return v;
}

/** tag | height u64 | round u32 | polRound i32 | blockHash | timestamp u64 | validatorIndex u32 | signature. */
export function encodeProposal(p: Proposal): Uint8Array {
  const w = new Writer(1 + 24 + BLOCK_HASH_LENGTH + 4 + SIGNATURE_LENGTH);
  w.u8(TAG_PROPOSAL);
  w.proposalFields(p);
  w.index(p.validatorIndex);
  w.signature(p.signature);
  return w.done();
}

export function decodeProposal(bytes: Uint8Array): Proposal {
  const r = new Reader(bytes, "proposal");
  r.tag(TAG_PROPOSAL);
  const height = r.u64();
  const round = r.round();
  const polRound = r.i32();
  if (polRound < -1 || polRound >= round) r.fail(`polRound ${polRound} not in [-1, round)`);
  const blockHash = r.bytes(BLOCK_HASH_LENGTH);
  const timestamp = r.u64();
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) r.fail("timestamp out of range");
  const p: Proposal = {
    height,
    round,
    polRound,
    blockHash,
    timestamp: Number(timestamp),
    validatorIndex: r.index(),
    signature: r.signature(),
  };
  r.end();
  return p;
}

/** tag | height u64 | round u32 | blockHash | bitmap length u16 | bitmap | signature. */
export function encodeCommit(c: Commit): Uint8Array {
  if (c.signers.length === 0 || c.signers.length > bitmapLength(MAX_VALIDATORS)) invalidField("signers", "bitmap length out of range");
  const w = new Writer(1 + 12 + BLOCK_HASH_LENGTH + 2 + c.signers.length + SIGNATURE_LENGTH);
  w.u8(TAG_COMMIT);
  w.u64(c.height, "height");
  w.round(c.round, "round");
  w.hash(c.blockHash);
  w.u16(c.signers.length);
  w.bytes(c.signers);
  w.signature(c.signature);
  return w.done();
}

export function decodeCommit(bytes: Uint8Array): Commit {
  const r = new Reader(bytes, "commit");
  r.tag(TAG_COMMIT);
  const height = r.u64();
  const round = r.round();
  const blockHash = r.bytes(BLOCK_HASH_LENGTH);
  const n = r.u16();
  if (n === 0 || n > bitmapLength(MAX_VALIDATORS)) r.fail(`bitmap length ${n} out of range`);
  const c: Commit = { height, round, blockHash, signers: r.bytes(n), signature: r.signature() };
  r.end();
  return c;
}

/** tag | voteA body | voteB body | validator address (20) | validatorPower u256 | totalPower u256. */
export function encodeEvidence(ev: DuplicateVoteEvidence): Uint8Array {
  if (ev.validator.length !== 20) invalidField("validator", "address must be 20 bytes");
  const w = new Writer(voteLength(ev.voteA) + voteLength(ev.voteB) - 1 + 20 + 64);
  w.u8(TAG_EVIDENCE);
  writeVoteBody(w, ev.voteA);
  writeVoteBody(w, ev.voteB);
  w.bytes(ev.validator);
  w.u256(ev.validatorPower, "validatorPower");
  w.u256(ev.totalPower, "totalPower");
  return w.done();
}

export function decodeEvidence(bytes: Uint8Array): DuplicateVoteEvidence {
  const r = new Reader(bytes, "evidence");
  r.tag(TAG_EVIDENCE);
  const ev: DuplicateVoteEvidence = {
    voteA: readVoteBody(r),
    voteB: readVoteBody(r),
    validator: r.bytes(20),
    validatorPower: r.u256(),
    totalPower: r.u256(),
  };
  r.end();
  return ev;
}

function voteLength(v: Vote): number {
  return 1 + 14 + (v.blockHash === null ? 0 : BLOCK_HASH_LENGTH) + 4 + SIGNATURE_LENGTH;
}

function writeVoteBody(w: Writer, v: Vote): void {
  w.voteFields(v);
  w.index(v.validatorIndex);
  w.signature(v.signature);
}

function readVoteBody(r: Reader): Vote {
  const type = r.u8();
  if (type !== VoteType.Prevote && type !== VoteType.Precommit) r.fail(`vote type ${type}`);
  const height = r.u64();
  const round = r.round();
  const flag = r.u8();
  if (flag > 1) r.fail(`nil flag ${flag}`);
  const blockHash = flag === 1 ? r.bytes(BLOCK_HASH_LENGTH) : null;
  return { type: type as VoteType, height, round, blockHash, validatorIndex: r.index(), signature: r.signature() };
}

function invalidField(field: string, reason: string): never {
  throw new ConsensusError({ code: ConsensusErrorCode.INVALID_FIELD, field, reason }, `${field}: ${reason}`);
}

function tryEncode(f: () => Uint8Array): Uint8Array | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** Fixed-size writer that range-checks every field (INVALID_FIELD) so nothing ambiguous is signed or sent. */
class Writer {
  private readonly buf: Uint8Array;
  private readonly dv: DataView;
  private off = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
  }

  done(): Uint8Array {
    return this.buf;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  u8(n: number): void {
    this.dv.setUint8(this.off++, n);
  }

  u16(n: number): void {
    this.dv.setUint16(this.off, n);
    this.off += 2;
  }

  u64(n: bigint, field: string): void {
    if (typeof n !== "bigint" || n < 0n || n > MAX_U64) invalidField(field, "not a u64");
    this.dv.setBigUint64(this.off, n);
    this.off += 8;
  }

  u256(n: bigint, field: string): void {
    if (typeof n !== "bigint" || n < 0n || n > MAX_U256) invalidField(field, "not a u256");
    for (let i = 3; i >= 0; i--) this.dv.setBigUint64(this.off + 8 * (3 - i), (n >> BigInt(64 * i)) & MAX_U64);
    this.off += 32;
  }

  round(n: number, field: string): void {
    if (!Number.isInteger(n) || n < 0 || n > MAX_ROUND) invalidField(field, "not in [0, 2^31)");
    this.dv.setUint32(this.off, n);
    this.off += 4;
  }

  index(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= MAX_VALIDATORS) invalidField("validatorIndex", `not in [0, ${MAX_VALIDATORS})`);
    this.dv.setUint32(this.off, n);
    this.off += 4;
  }

  hash(h: Uint8Array): void {
    if (h.length !== BLOCK_HASH_LENGTH) invalidField("blockHash", "must be 32 bytes");
    this.bytes(h);
  }

  signature(s: Uint8Array): void {
    if (s.length !== SIGNATURE_LENGTH) invalidField("signature", "must be 96 bytes");
    this.bytes(s);
  }

  voteFields(v: Pick<Vote, "type" | "height" | "round" | "blockHash">): void {
    if (v.type !== VoteType.Prevote && v.type !== VoteType.Precommit) invalidField("type", `vote type ${v.type}`);
    this.u8(v.type);
    this.u64(v.height, "height");
    this.round(v.round, "round");
    this.u8(v.blockHash === null ? 0 : 1);
    if (v.blockHash !== null) this.hash(v.blockHash);
  }

  proposalFields(p: Pick<Proposal, "height" | "round" | "polRound" | "blockHash" | "timestamp">): void {
    this.u64(p.height, "height");
    this.round(p.round, "round");
    if (!Number.isInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) invalidField("polRound", "not in [-1, round)");
    this.dv.setInt32(this.off, p.polRound);
    this.off += 4;
    this.hash(p.blockHash);
    if (!Number.isSafeInteger(p.timestamp) || p.timestamp < 0) invalidField("timestamp", "not a non-negative safe integer");
    this.dv.setBigUint64(this.off, BigInt(p.timestamp));
    this.off += 8;
  }
}

/** Bounds-checked reader: any short, long or out-of-range input is a DECODE error, never a RangeError. */
class Reader {
  private readonly dv: DataView;
  private off = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(reason: string): never {
    throw new ConsensusError({ code: ConsensusErrorCode.DECODE, what: this.what, reason }, `cannot decode ${this.what}: ${reason}`);
  }

  private need(n: number): number {
    if (this.buf.length - this.off < n) this.fail(`truncated at byte ${this.off}`);
    const at = this.off;
    this.off += n;
    return at;
  }

  tag(expected: number): void {
    const t = this.u8();
    if (t !== expected) this.fail(`tag ${t}, expected ${expected}`);
  }

  end(): void {
    if (this.off !== this.buf.length) this.fail(`${this.buf.length - this.off} trailing bytes`);
  }

  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.buf.slice(at, at + n);
  }

  u8(): number {
    return this.dv.getUint8(this.need(1));
  }

  u16(): number {
    return this.dv.getUint16(this.need(2));
  }

  i32(): number {
    return this.dv.getInt32(this.need(4));
  }

  u64(): bigint {
    return this.dv.getBigUint64(this.need(8));
  }

  u256(): bigint {
    const at = this.need(32);
    let n = 0n;
    for (let i = 0; i < 4; i++) n = (n << 64n) | this.dv.getBigUint64(at + 8 * i);
    return n;
  }

  round(): number {
    const n = this.dv.getUint32(this.need(4));
    if (n > MAX_ROUND) this.fail(`round ${n} out of range`);
    return n;
  }

  index(): number {
    const n = this.dv.getUint32(this.need(4));
    if (n >= MAX_VALIDATORS) this.fail(`validator index ${n} out of range`);
    return n;
  }

  signature(): Uint8Array {
    return this.bytes(SIGNATURE_LENGTH);
  }
}
