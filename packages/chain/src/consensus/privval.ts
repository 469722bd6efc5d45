import { readFileSync } from "node:fs";
import { bytesToHex, createSilentLogger, equalsBytes, hexToBytes, isHex, keccak256, type Logger, utf8ToBytes } from "@zerog/core";
import { blsSign, blsVerify, SIGNATURE_LENGTH, type ValidatorKey } from "./blsKeys.js";
import { ConsensusError, ConsensusErrorCode } from "./errors.js";
import { proposalSignBytes, type UnsignedProposal, type UnsignedVote, voteSignBytes } from "./signing.js";
import { type Proposal, Step, type Vote, VoteType } from "./types.js";
import { writeFileDurableSync } from "./wal.js";

/**
 * The double-sign guard (CometBFT's FilePV): every signature goes through here, and the (height,
 * round, step) it was for is durable on disk before the signature leaves. It refuses an earlier HRS
 * and a different value at the same HRS; the same bytes again get the stored signature, so a node
 * replaying its WAL after a crash re-broadcasts exactly what it sent before.
 *
 * The state keeps the whole sign bytes (under 100 bytes) rather than their hash, so that a proposal
 * re-made after a restart, differing only in its timestamp, can reuse the signed one (as CometBFT).
 */

export interface LastSignedState {
  height: bigint;
  round: number;
  step: Step;
  signBytes: Uint8Array;
  signature: Uint8Array;
}

export interface PrivValidatorOptions {
  /** `priv_validator_state.json`; written with temp + fsync + rename + directory fsync. */
  statePath: string;
  /** Refuse to start without a state file, instead of starting fresh with a warning. */
  requireState: boolean;
}

export const defaultPrivValidatorOptions: Omit<PrivValidatorOptions, "statePath"> = { requireState: false };

export interface PrivValidatorDeps {
  key: ValidatorKey;
  logger?: Logger;
}

export class PrivValidator {
  private state: LastSignedState | null;
  private readonly key: ValidatorKey;
  private readonly statePath: string;
  private readonly logger: Logger;

  /** Loads the state file; a corrupt one, or one written by another key, is `CONSENSUS_PRIVVAL_STATE`. */
  constructor(options: Pick<PrivValidatorOptions, "statePath"> & Partial<PrivValidatorOptions>, deps: PrivValidatorDeps) {
    const opts = { ...defaultPrivValidatorOptions, ...options };
    this.key = deps.key;
    this.statePath = opts.statePath;
    this.logger = deps.logger ?? createSilentLogger();
    this.state = readPrivValidatorState(opts.statePath, deps.key.publicKey);
    if (this.state === null) {
      if (opts.requireState) throw stateError(opts.statePath, "missing, and requireState is set");
      this.logger.warn({ path: opts.statePath }, "no double-sign state file: starting fresh");
    }
  }

  get address(): Uint8Array {
    return this.key.address;
  }

  get publicKey(): Uint8Array {
    return this.key.publicKey;
  }

  get lastSigned(): LastSignedState | null {
    return this.state;
  }

  signVote(chainId: bigint, vote: UnsignedVote): Vote {
    const step = vote.type === VoteType.Prevote ? Step.Prevote : Step.Precommit;
    const signBytes = voteSignBytes(chainId, vote);
    return { ...vote, signature: this.sign(vote.height, vote.round, step, signBytes).signature };
  }

  /** May return the proposal with the timestamp it was first signed with (same block, same HRS). */
  signProposal(chainId: bigint, proposal: UnsignedProposal): Proposal {
    const signBytes = proposalSignBytes(chainId, proposal);
    const { signature, signBytes: signed } = this.sign(proposal.height, proposal.round, Step.Propose, signBytes);
    const view = new DataView(signed.buffer, signed.byteOffset, signed.byteLength);
    return { ...proposal, timestamp: Number(view.getBigUint64(signed.length - 8)), signature };
  }

  private sign(height: bigint, round: number, step: Step, signBytes: Uint8Array): LastSignedState {
    const last = this.state;
    if (last !== null) {
      const order = compareHRS(height, round, step, last);
      const refuse = (reason: "regression" | "conflict"): never => {
        const { height: lastHeight, round: lastRound, step: lastStep } = last;
        throw new ConsensusError(
          { code: ConsensusErrorCode.DOUBLE_SIGN, height, round, step, lastHeight, lastRound, lastStep, reason },
          `refusing to sign ${height}/${round}/${step}: ${reason} (last signed ${lastHeight}/${lastRound}/${lastStep})`,
        );
      };
      if (order < 0) refuse("regression");
      if (order === 0) {
        if (equalsBytes(signBytes, last.signBytes)) return last;
        // Proposal sign bytes end with the timestamp: the same proposal re-made later keeps its first one.
        if (
          step === Step.Propose &&
          signBytes.length === last.signBytes.length &&
          equalsBytes(signBytes.subarray(0, -8), last.signBytes.subarray(0, -8))
        ) {
          return last;
        }
        refuse("conflict");
      }
    }
    const next: LastSignedState = { height, round, step, signBytes, signature: blsSign(this.key, signBytes) };
    try {
      writeFileDurableSync(this.statePath, encodeState(next, this.key.publicKey), 0o600);
    } catch (e) {
      throw new ConsensusError(
        { code: ConsensusErrorCode.PRIVVAL_STATE, path: this.statePath, reason: `cannot persist: ${String(e)}` },
        undefined,
        {
          cause: e,
        },
      );
    }
    this.state = next;
    return next;
  }
}

function compareHRS(height: bigint, round: number, step: Step, last: LastSignedState): number {
  if (height !== last.height) return height < last.height ? -1 : 1;
  if (round !== last.round) return round < last.round ? -1 : 1;
  return step === last.step ? 0 : step < last.step ? -1 : 1;
}

// ---- state file: JSON with a keccak checksum over its other fields ----

function stateBody(s: LastSignedState, publicKey: Uint8Array): string {
  return JSON.stringify({
    publicKey: bytesToHex(publicKey),
    height: s.height.toString(),
    round: s.round,
    step: s.step,
    signBytes: bytesToHex(s.signBytes),
    signature: bytesToHex(s.signature),
  });
}

function encodeState(s: LastSignedState, publicKey: Uint8Array): Uint8Array {
  const body = stateBody(s, publicKey);
  return utf8ToBytes(`${body.slice(0, -1)},"checksum":"${bytesToHex(keccak256(utf8ToBytes(body)))}"}\n`);
}

/** The state in `path`, or null if there is none; anything unreadable or inconsistent throws. */
export function readPrivValidatorState(path: string, publicKey: Uint8Array): LastSignedState | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw stateError(path, `unreadable: ${String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw stateError(path, "corrupt: not JSON");
  }
  if (typeof parsed !== "object" || parsed === null) throw stateError(path, "corrupt: not an object");
  const j = parsed as Record<string, unknown>;
  const hex = (name: string): Uint8Array => {
    const v = j[name];
    if (!isHex(v)) throw stateError(path, `corrupt: ${name} is not hex`);
    return hexToBytes(v);
  };
  const { height, round, step } = j;
  if (typeof height !== "string" || !/^(0|[1-9][0-9]{0,19})$/.test(height)) throw stateError(path, "corrupt: height");
  if (typeof round !== "number" || !Number.isInteger(round) || round < 0) throw stateError(path, "corrupt: round");
  if (step !== Step.Propose && step !== Step.Prevote && step !== Step.Precommit) throw stateError(path, "corrupt: step");
  const state: LastSignedState = { height: BigInt(height), round, step, signBytes: hex("signBytes"), signature: hex("signature") };
  if (state.signature.length !== SIGNATURE_LENGTH) throw stateError(path, "corrupt: signature length");
  if (!equalsBytes(hex("checksum"), keccak256(utf8ToBytes(stateBody(state, hex("publicKey"))))))
    throw stateError(path, "corrupt: checksum mismatch");
  if (!equalsBytes(hex("publicKey"), publicKey)) throw stateError(path, "written by another validator key");
  if (!blsVerify(publicKey, state.signBytes, state.signature)) throw stateError(path, "corrupt: stored signature does not verify");
  return state;
}

function stateError(path: string, reason: string): ConsensusError {
  return new ConsensusError({ code: ConsensusErrorCode.PRIVVAL_STATE, path, reason }, `double-sign state ${path}: ${reason}`);
}
