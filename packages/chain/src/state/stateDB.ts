import {
  type BatchOp,
  bytesToHexKey,
  EMPTY_TRIE_ROOT,
  equalsBytes,
  hexToBytes,
  KECCAK256_EMPTY,
  type KVStore,
  keccak256,
  MerklePatriciaTrie,
  prefixEnd,
  rlpEncode,
  type TrieNodeReader,
  tableKey,
} from "@zerog/core";
import { type AccountData, decodeAccount, encodeAccount } from "./account.js";
import type { StateDiff, StateReader } from "./stateReader.js";
import { Table } from "./tables.js";

export interface StateDBOptions {
  /** Cached accounts and storage slots; the caches are dropped between blocks when larger. */
  maxCacheEntries: number;
  /** Storage tries kept open (with their loaded nodes) between blocks. */
  maxOpenStorageTries: number;
  /** Trie nodes held in memory before the tries are reopened at the committed root. */
  maxResidentTrieNodes: number;
}

export const defaultStateDBOptions: StateDBOptions = {
  maxCacheEntries: 500_000,
  maxOpenStorageTries: 10_000,
  maxResidentTrieNodes: 2_000_000,
};

/**
 * One block's state changes. While staged, only the tries know them; once committed and until its
 * write is durable, it is a layer that reads consult before the database.
 */
interface Layer {
  root: Uint8Array;
  accounts: Map<string, AccountData | null>;
  storage: Map<string, StorageCacheEntry>;
  code: Map<string, Uint8Array>;
  nodes: Map<string, Uint8Array>;
}

interface StorageCacheEntry {
  slots: Map<string, Uint8Array>;
  /** True when `slots` holds every non-zero slot (storage wiped this session): absent means zero. */
  complete: boolean;
}

const hex = bytesToHexKey;

/**
 * The latest world state: a flat account/storage table for O(1) reads, plus the Merkle-Patricia
 * tries that give every block its state root and proofs. `apply` folds one block's diff into both
 * and returns the database writes, which the caller commits atomically with the block. Until
 * `commitApplied`, readers keep seeing the last committed state; `discard` drops an applied block
 * that was not committed (a proposal consensus did not decide).
 */
export class StateDB implements StateReader {
  private readonly db: KVStore;
  private readonly opts: StateDBOptions;
  private readonly nodes: TrieNodeReader;
  private accountTrie: MerklePatriciaTrie;
  private readonly accountCache = new Map<string, AccountData | null>();
  private readonly storageCache = new Map<string, StorageCacheEntry>();
  private readonly storageTries = new Map<string, MerklePatriciaTrie>();
  private readonly codeCache = new Map<string, Uint8Array>();
  private committedRoot: Uint8Array;
  private staged: Layer | null = null;
  /** Committed blocks whose writes are not yet durable, oldest first. */
  private readonly layers: Layer[] = [];

  constructor(opts: Partial<StateDBOptions>, deps: { db: KVStore }) {
    this.opts = { ...defaultStateDBOptions, ...opts };
    this.db = deps.db;
    this.nodes = {
      getNode: (h) => {
        if (this.layers.length > 0) {
          const k = hex(h);
          for (let i = this.layers.length - 1; i >= 0; i--) {
            const n = this.layers[i]!.nodes.get(k);
            if (n) return n;
          }
        }
        return this.db.get(tableKey(Table.TRIE_NODE, h));
      },
    };
    this.committedRoot = EMPTY_TRIE_ROOT;
    this.accountTrie = new MerklePatriciaTrie({ db: this.nodes });
  }

  /** The root of the last committed state (what reads see). */
  get root(): Uint8Array {
    return this.committedRoot;
  }

  /** True when a block's diff has been applied but neither committed nor discarded. */
  get hasStaged(): boolean {
    return this.staged !== null;
  }

  /** Points the latest state at `root` (node start-up); the flat tables must already match it. */
  open(root: Uint8Array): void {
    this.committedRoot = root;
    this.layers.length = 0;
    this.reopenTries();
    this.accountCache.clear();
    this.storageCache.clear();
  }

  /** Drops the tries' in-memory nodes and the staged block; reads go back to the committed root. */
  private reopenTries(): void {
    this.staged = null;
    this.accountTrie = new MerklePatriciaTrie({ root: this.committedRoot, db: this.nodes });
    this.storageTries.clear();
  }

  /** The state of the committed block with root `root` is on disk: its layer and older ones are no longer needed. */
  markDurable(root: Uint8Array): void {
    // Empty blocks repeat their parent's root: every layer with this root holds the state on disk.
    let i = this.layers.length - 1;
    while (i >= 0 && !equalsBytes(this.layers[i]!.root, root)) i--;
    if (i >= 0) this.layers.splice(0, i + 1);
  }

  getAccount(address: Uint8Array): AccountData | undefined {
    const k = hex(address);
    const cached = this.accountCache.get(k);
    if (cached !== undefined) return cached ?? undefined;
    // Every layer's accounts are in the cache (commitApplied, trimCaches): a miss is not in any layer.
    const raw = this.db.get(tableKey(Table.ACCOUNT, address));
    const acc = raw ? decodeAccount(raw) : null;
    this.accountCache.set(k, acc);
    return acc ?? undefined;
  }

  getStorage(address: Uint8Array, slot: Uint8Array): Uint8Array {
    const a = hex(address);
    const s = hex(slot);
    let entry = this.storageCache.get(a);
    const hit = entry?.slots.get(s);
    if (hit !== undefined) return hit;
    if (entry?.complete) return new Uint8Array(0);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const le = this.layers[i]!.storage.get(a);
      const v = le?.slots.get(s);
      if (v !== undefined) return v;
      if (le?.complete) return new Uint8Array(0);
    }
    const v = this.db.get(tableKey(Table.STORAGE, address, slot)) ?? new Uint8Array(0);
    if (!entry) {
      entry = { slots: new Map(), complete: false };
      this.storageCache.set(a, entry);
    }
    entry.slots.set(s, v);
    return v;
  }

  getCode(codeHash: Uint8Array): Uint8Array {
    if (equalsBytes(codeHash, KECCAK256_EMPTY)) return new Uint8Array(0);
    const k = hex(codeHash);
    let code = this.codeCache.get(k);
    for (let i = this.layers.length - 1; code === undefined && i >= 0; i--) code = this.layers[i]!.code.get(k);
    if (code === undefined) {
      code = this.db.get(tableKey(Table.CODE, codeHash)) ?? new Uint8Array(0);
      if (this.codeCache.size > 2_000) this.codeCache.clear();
      this.codeCache.set(k, code);
    }
    return code;
  }

  /** A read-only view of the state at an older root, read through the tries. */
  at(root: Uint8Array): StateReader {
    return new TrieStateReader(root, this.nodes, (h) => this.getCode(h));
  }

  hasRoot(root: Uint8Array): boolean {
    if (equalsBytes(root, EMPTY_TRIE_ROOT)) return true;
    for (const l of this.layers) if (equalsBytes(l.root, root)) return true;
    return this.db.has(tableKey(Table.TRIE_NODE, root));
  }

  /** Committed blocks whose state is not yet durable. */
  get unwrittenBlocks(): number {
    return this.layers.length;
  }

  /** Account and storage proofs (EIP-1186) at `root`. */
  prove(
    root: Uint8Array,
    address: Uint8Array,
    slots: Uint8Array[],
  ): {
    account: AccountData | undefined;
    accountProof: Uint8Array[];
    storageProofs: { slot: Uint8Array; value: Uint8Array; proof: Uint8Array[] }[];
  } {
    const accountTrie = new MerklePatriciaTrie({ root, db: this.nodes });
    const key = keccak256(address);
    const raw = accountTrie.get(key);
    const account = raw ? decodeAccount(raw) : undefined;
    const storageTrie = new MerklePatriciaTrie({ root: account?.storageRoot ?? EMPTY_TRIE_ROOT, db: this.nodes });
    const storageProofs = slots.map((slot) => {
      const sk = keccak256(slot);
      const v = storageTrie.get(sk);
      return { slot, value: v ? (rlpDecodeBytes(v) ?? new Uint8Array(0)) : new Uint8Array(0), proof: storageTrie.prove(sk) };
    });
    return { account, accountProof: accountTrie.prove(key), storageProofs };
  }

  /**
   * Makes the applied block the committed state: readers see it at once; until `markDurable`,
   * reads that miss the caches find it in its layer rather than in the database.
   */
  commitApplied(): void {
    const s = this.staged;
    if (!s) return;
    this.layers.push(s);
    for (const [a, acc] of s.accounts) this.accountCache.set(a, acc);
    for (const [a, entry] of s.storage) {
      const cur = this.storageCache.get(a);
      if (entry.complete || !cur) this.storageCache.set(a, entry);
      else for (const [k, v] of entry.slots) cur.slots.set(k, v);
    }
    this.committedRoot = s.root;
    this.staged = null;
  }

  /** Forgets an applied, uncommitted block: back to the committed root. */
  discard(): void {
    if (!this.staged) return;
    this.reopenTries();
  }

  /** Folds a block's changes into the tries; returns the new root and the writes to commit. */
  apply(diff: StateDiff): { root: Uint8Array; ops: BatchOp[] } {
    this.discard();
    this.trimCaches();
    const staged: Layer = { root: EMPTY_TRIE_ROOT, accounts: new Map(), storage: new Map(), code: diff.code, nodes: new Map() };
    const ops: BatchOp[] = [];
    const touched = new Set<string>([...diff.accounts.keys(), ...diff.storage.keys(), ...diff.clearedStorage]);
    for (const a of touched) {
      const address = hexToBytes(`0x${a}`);
      const before = this.getAccount(address);
      const after = diff.accounts.has(a) ? diff.accounts.get(a)! : (before ?? null);
      const cleared = diff.clearedStorage.has(a) || after === null;
      if (cleared && before && !equalsBytes(before.storageRoot, EMPTY_TRIE_ROOT)) this.wipeStorage(address, ops);
      if (after === null) {
        this.accountTrie.del(keccak256(address));
        if (before) ops.push({ type: "del", key: tableKey(Table.ACCOUNT, address) });
        staged.accounts.set(a, null);
        staged.storage.set(a, { slots: new Map(), complete: true });
        this.storageTries.delete(a);
        continue;
      }
      const storageRoot = this.applyStorage(
        a,
        address,
        cleared ? EMPTY_TRIE_ROOT : (before?.storageRoot ?? EMPTY_TRIE_ROOT),
        cleared,
        diff.storage.get(a),
        ops,
        staged,
      );
      const account: AccountData = { ...after, storageRoot };
      const enc = encodeAccount(account);
      this.accountTrie.put(keccak256(address), enc);
      ops.push({ type: "put", key: tableKey(Table.ACCOUNT, address), value: enc });
      staged.accounts.set(a, account);
    }
    for (const [h, code] of diff.code) ops.push({ type: "put", key: tableKey(Table.CODE, hexToBytes(`0x${h}`)), value: code });
    const { root, nodes } = this.accountTrie.commit();
    for (const [hash, enc] of nodes) {
      ops.push({ type: "put", key: tableKey(Table.TRIE_NODE, hash), value: enc });
      staged.nodes.set(hex(hash), enc);
    }
    staged.root = root;
    this.staged = staged;
    return { root, ops };
  }

  private applyStorage(
    a: string,
    address: Uint8Array,
    baseRoot: Uint8Array,
    cleared: boolean,
    writes: Map<string, Uint8Array> | undefined,
    ops: BatchOp[],
    staged: Layer,
  ): Uint8Array {
    if (!cleared && (!writes || writes.size === 0)) return baseRoot;
    let trie = cleared ? undefined : this.storageTries.get(a);
    if (!trie) trie = new MerklePatriciaTrie({ root: baseRoot, db: this.nodes });
    const entry: StorageCacheEntry = { slots: new Map(), complete: cleared };
    staged.storage.set(a, entry);
    for (const [s, value] of writes ?? []) {
      const slot = hexToBytes(`0x${s}`);
      const key = tableKey(Table.STORAGE, address, slot);
      trie.put(keccak256(slot), value.length === 0 ? value : rlpEncode(value));
      ops.push(value.length === 0 ? { type: "del", key } : { type: "put", key, value });
      entry.slots.set(s, value);
    }
    const { root, nodes } = trie.commit();
    for (const [hash, enc] of nodes) {
      ops.push({ type: "put", key: tableKey(Table.TRIE_NODE, hash), value: enc });
      staged.nodes.set(hex(hash), enc);
    }
    if (this.storageTries.size >= this.opts.maxOpenStorageTries) this.storageTries.clear();
    this.storageTries.set(a, trie);
    return root;
  }

  private wipeStorage(address: Uint8Array, ops: BatchOp[]): void {
    const prefix = tableKey(Table.STORAGE, address);
    for (const { key } of this.db.range({ gte: prefix, lt: prefixEnd(prefix) })) ops.push({ type: "del", key });
    // Rows of blocks still on their way to disk are not in the range yet.
    const a = hex(address);
    for (const layer of this.layers) {
      for (const s of layer.storage.get(a)?.slots.keys() ?? [])
        ops.push({ type: "del", key: tableKey(Table.STORAGE, address, hexToBytes(`0x${s}`)) });
    }
  }

  private trimCaches(): void {
    let resident = this.accountTrie.residentNodes;
    for (const t of this.storageTries.values()) resident += t.residentNodes;
    if (resident > this.opts.maxResidentTrieNodes) this.reopenTries();
    let slots = 0;
    for (const e of this.storageCache.values()) slots += e.slots.size;
    if (this.accountCache.size + slots > this.opts.maxCacheEntries) {
      this.accountCache.clear();
      this.storageCache.clear();
      // Unwritten blocks' accounts stay cached, newest last, so `getAccount` need not search the layers.
      for (const layer of this.layers) for (const [a, acc] of layer.accounts) this.accountCache.set(a, acc);
    }
  }
}

function rlpDecodeBytes(v: Uint8Array): Uint8Array | undefined {
  // Storage leaves hold rlp(value) of a byte string: strip the one-level string header.
  if (v.length === 0) return undefined;
  const first = v[0]!;
  if (first < 0x80) return v;
  if (first <= 0xb7) return v.subarray(1);
  const lenOfLen = first - 0xb7;
  return v.subarray(1 + lenOfLen);
}

/** State at an arbitrary root, read through the tries (historical queries). */
class TrieStateReader implements StateReader {
  readonly root: Uint8Array;
  private readonly accounts: MerklePatriciaTrie;
  private readonly nodes: TrieNodeReader;
  private readonly code: (h: Uint8Array) => Uint8Array;
  private readonly storageTries = new Map<string, MerklePatriciaTrie>();

  constructor(root: Uint8Array, nodes: TrieNodeReader, code: (h: Uint8Array) => Uint8Array) {
    this.root = root;
    this.nodes = nodes;
    this.code = code;
    this.accounts = new MerklePatriciaTrie({ root, db: nodes });
  }

  getAccount(address: Uint8Array): AccountData | undefined {
    const raw = this.accounts.get(keccak256(address));
    return raw ? decodeAccount(raw) : undefined;
  }

  getStorage(address: Uint8Array, slot: Uint8Array): Uint8Array {
    const a = hex(address);
    let trie = this.storageTries.get(a);
    if (!trie) {
      const acc = this.getAccount(address);
      if (!acc) return new Uint8Array(0);
      trie = new MerklePatriciaTrie({ root: acc.storageRoot, db: this.nodes });
      this.storageTries.set(a, trie);
    }
    const v = trie.get(keccak256(slot));
    return v ? (rlpDecodeBytes(v) ?? new Uint8Array(0)) : new Uint8Array(0);
  }

  getCode(codeHash: Uint8Array): Uint8Array {
    return this.code(codeHash);
  }
}
