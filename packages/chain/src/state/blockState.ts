import type { AccountFields, StateManagerInterface, StorageDump, StorageRange } from "@ethereumjs/common";
import { Account, type Address } from "@ethereumjs/util";
import { bytesToHexKey, KECCAK256_EMPTY, keccak256 } from "@zerog/core";
import { ChainError, ChainErrorCode } from "../errors.js";
import { type AccountData, emptyAccount, stripZeros } from "./account.js";
import type { StateDiff, StateReader } from "./stateReader.js";

const hex = bytesToHexKey;

type JournalEntry =
  | { kind: 0; address: string; prev: AccountData | null | undefined }
  | { kind: 1; address: string; slot: string; prev: Uint8Array | undefined }
  | { kind: 2; address: string; prevSlots: Map<string, Uint8Array> | undefined; prevCleared: boolean };

/**
 * The state one block (or one `eth_call`) executes against: an overlay over a `StateReader` with an
 * undo journal, so a call frame's checkpoint is O(1) and a revert undoes only what it wrote.
 * Implements ethereumjs' `StateManagerInterface` so `@ethereumjs/evm` runs on it directly; the
 * overlay becomes the block's `StateDiff`.
 */
export class BlockState implements StateManagerInterface {
  private readonly base: StateReader;
  private readonly accounts = new Map<string, AccountData | null>();
  private readonly storage = new Map<string, Map<string, Uint8Array>>();
  private readonly cleared = new Set<string>();
  private readonly code = new Map<string, Uint8Array>();
  private journal: JournalEntry[] = [];
  private readonly checkpoints: number[] = [];
  /** Storage values at the start of the current transaction (EIP-2200 "original" values). */
  private readonly originals = new Map<string, Uint8Array>();

  readonly originalStorageCache: { get(address: Address, key: Uint8Array): Promise<Uint8Array>; clear(): void };

  constructor(base: StateReader) {
    this.base = base;
    this.originalStorageCache = {
      get: async (address, key) => {
        const a = hex(address.bytes);
        return this.originals.get(a + hex(key)) ?? this.readStorage(a, address.bytes, key);
      },
      clear: () => this.originals.clear(),
    };
  }

  // --- synchronous core, also used by the transfer fast path ---

  readAccount(address: Uint8Array, a = hex(address)): AccountData | undefined {
    const o = this.accounts.get(a);
    if (o !== undefined) return o ?? undefined;
    return this.base.getAccount(address);
  }

  writeAccount(a: string, account: AccountData | null): void {
    if (this.checkpoints.length > 0) this.journal.push({ kind: 0, address: a, prev: this.accounts.get(a) });
    this.accounts.set(a, account);
  }

  readStorage(a: string, address: Uint8Array, slot: Uint8Array): Uint8Array {
    const s = hex(slot);
    const v = this.storage.get(a)?.get(s);
    if (v !== undefined) return v;
    if (this.cleared.has(a)) return new Uint8Array(0);
    return this.base.getStorage(address, slot);
  }

  readCode(address: Uint8Array): Uint8Array {
    const acc = this.readAccount(address);
    if (!acc || Buffer.compare(acc.codeHash, KECCAK256_EMPTY) === 0) return new Uint8Array(0);
    return this.code.get(hex(acc.codeHash)) ?? this.base.getCode(acc.codeHash);
  }

  /** Stores code by hash (the account's codeHash is set by the caller). */
  writeCode(code: Uint8Array): Uint8Array {
    const codeHash = keccak256(code);
    if (code.length > 0) this.code.set(hex(codeHash), code);
    return codeHash;
  }

  /** Sets a storage slot (32-byte slot, value with or without leading zeros). */
  writeStorage(a: string, slot: Uint8Array, value: Uint8Array): void {
    let slots = this.storage.get(a);
    if (!slots) {
      slots = new Map();
      this.storage.set(a, slots);
    }
    const s = hex(slot);
    if (this.checkpoints.length > 0) this.journal.push({ kind: 1, address: a, slot: s, prev: slots.get(s) });
    slots.set(s, stripZeros(value));
  }

  /** Everything this state changed since it was created. */
  diff(): StateDiff {
    if (this.checkpoints.length !== 0) {
      throw new ChainError(
        { code: ChainErrorCode.ENGINE_STATE, reason: "diff with open checkpoints" },
        "state diff taken inside a checkpoint",
      );
    }
    return { accounts: this.accounts, storage: this.storage, clearedStorage: this.cleared, code: this.code };
  }

  // --- StateManagerInterface ---

  async getAccount(address: Address): Promise<Account | undefined> {
    const acc = this.readAccount(address.bytes);
    return acc ? new Account(acc.nonce, acc.balance, acc.storageRoot, acc.codeHash) : undefined;
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    const a = hex(address.bytes);
    if (account === undefined) {
      this.writeAccount(a, null);
      return;
    }
    this.writeAccount(a, { nonce: account.nonce, balance: account.balance, storageRoot: account.storageRoot, codeHash: account.codeHash });
  }

  async deleteAccount(address: Address): Promise<void> {
    const a = hex(address.bytes);
    this.wipe(a);
    this.writeAccount(a, null);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const acc = { ...(this.readAccount(address.bytes) ?? emptyAccount()) };
    if (fields.nonce !== undefined) acc.nonce = fields.nonce;
    if (fields.balance !== undefined) acc.balance = fields.balance;
    if (fields.codeHash !== undefined) acc.codeHash = fields.codeHash;
    if (fields.storageRoot !== undefined) acc.storageRoot = fields.storageRoot;
    this.writeAccount(hex(address.bytes), acc);
  }

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const codeHash = keccak256(value);
    this.code.set(hex(codeHash), value);
    const acc = { ...(this.readAccount(address.bytes) ?? emptyAccount()), codeHash };
    this.writeAccount(hex(address.bytes), acc);
  }

  async getCode(address: Address): Promise<Uint8Array> {
    return this.readCode(address.bytes);
  }

  async getCodeSize(address: Address): Promise<number> {
    return this.readCode(address.bytes).length;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return this.readStorage(hex(address.bytes), address.bytes, key);
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const a = hex(address.bytes);
    const s = hex(key);
    const v = stripZeros(value);
    const k = a + s;
    if (!this.originals.has(k)) this.originals.set(k, this.readStorage(a, address.bytes, key));
    this.writeStorage(a, key, v);
  }

  async clearStorage(address: Address): Promise<void> {
    this.wipe(hex(address.bytes));
  }

  /** Empties an account's storage (state overrides; create and self-destruct go through the EVM). */
  wipeStorage(a: string): void {
    this.wipe(a);
  }

  private wipe(a: string): void {
    if (this.checkpoints.length > 0)
      this.journal.push({ kind: 2, address: a, prevSlots: this.storage.get(a), prevCleared: this.cleared.has(a) });
    this.storage.set(a, new Map());
    this.cleared.add(a);
  }

  async checkpoint(): Promise<void> {
    this.checkpoints.push(this.journal.length);
  }

  async commit(): Promise<void> {
    this.checkpoints.pop();
    // At the outermost level nothing can be reverted any more: drop the undo log.
    if (this.checkpoints.length === 0) this.journal = [];
  }

  async revert(): Promise<void> {
    const to = this.checkpoints.pop() ?? 0;
    for (let i = this.journal.length - 1; i >= to; i--) {
      const e = this.journal[i]!;
      if (e.kind === 0) {
        if (e.prev === undefined) this.accounts.delete(e.address);
        else this.accounts.set(e.address, e.prev);
      } else if (e.kind === 1) {
        const slots = this.storage.get(e.address)!;
        if (e.prev === undefined) slots.delete(e.slot);
        else slots.set(e.slot, e.prev);
      } else {
        if (e.prevSlots === undefined) this.storage.delete(e.address);
        else this.storage.set(e.address, e.prevSlots);
        if (!e.prevCleared) this.cleared.delete(e.address);
      }
    }
    this.journal.length = to;
  }

  async getStateRoot(): Promise<Uint8Array> {
    throw new ChainError({ code: ChainErrorCode.ENGINE_STATE, reason: "getStateRoot" }, "state roots are computed when a block commits");
  }

  async setStateRoot(): Promise<void> {
    throw new ChainError({ code: ChainErrorCode.ENGINE_STATE, reason: "setStateRoot" }, "open a new BlockState at the wanted root instead");
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  async dumpStorage(): Promise<StorageDump> {
    return {};
  }

  async dumpStorageRange(): Promise<StorageRange> {
    return { storage: {}, nextKey: null };
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    return new BlockState(this.base);
  }
}
