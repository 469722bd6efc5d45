import { CoreError, CoreErrorCode } from "../errors.js";
import { KECCAK256_RLP_EMPTY, keccak256 } from "../hash.js";
import { type RLPDecoded, rlpDecode, rlpEncode } from "../rlp.js";
import { bytesToNibbles, commonPrefixLength, decodeHexPrefix, encodeHexPrefix } from "./nibbles.js";
import { headerLength, stringItemLength, writeHeader, writeString } from "./rlpWriter.js";

/** Where trie nodes live: content-addressed by keccak256 of their encoding. */
export interface TrieNodeReader {
  getNode(hash: Uint8Array): Uint8Array | undefined;
}

const BRANCH = 0;
const EXTENSION = 1;
const LEAF = 2;
const HASH = 3;

// `ref` caches what the parent embeds: the node's hash when its encoding is >= 32 bytes, else the
// encoding itself. A node without `ref` is dirty.
interface BranchNode {
  kind: typeof BRANCH;
  children: (TrieNode | null)[];
  value: Uint8Array | null;
  ref?: Uint8Array | undefined;
}
interface ExtensionNode {
  kind: typeof EXTENSION;
  path: Uint8Array;
  child: TrieNode;
  ref?: Uint8Array | undefined;
}
interface LeafNode {
  kind: typeof LEAF;
  path: Uint8Array;
  value: Uint8Array;
  ref?: Uint8Array | undefined;
}
interface HashNode {
  kind: typeof HASH;
  ref: Uint8Array;
}
type TrieNode = BranchNode | ExtensionNode | LeafNode | HashNode;
type Resolved = BranchNode | ExtensionNode | LeafNode;

export interface TrieCommit {
  root: Uint8Array;
  /** New nodes to persist, `[hash, encoding]`. */
  nodes: [Uint8Array, Uint8Array][];
}

export const EMPTY_TRIE_ROOT = KECCAK256_RLP_EMPTY;

/**
 * An Ethereum Merkle-Patricia trie held as mutable in-memory nodes over a content-addressed node
 * store. Updates only mark paths dirty; `commit()` hashes each dirty node once, so a block's worth
 * of updates costs one hash per changed node rather than one path re-hash per update. All
 * operations are synchronous (node reads are synchronous), so no update interleaves with a read.
 * Keys are used as given: hash them first for a "secure" trie.
 */
export class MerklePatriciaTrie {
  private root: TrieNode | null;
  private readonly db: TrieNodeReader | null;
  private loadedNodes = 0;

  constructor(opts: { root?: Uint8Array; db?: TrieNodeReader | null } = {}) {
    this.db = opts.db ?? null;
    this.root = opts.root === undefined || isEmptyRoot(opts.root) ? null : { kind: HASH, ref: opts.root };
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const nibbles = bytesToNibbles(key);
    let node = this.root;
    let off = 0;
    while (node !== null) {
      const n = this.resolve(node);
      if (n.kind === LEAF) {
        return n.path.length === nibbles.length - off && commonPrefixLength(nibbles, off, n.path) === n.path.length ? n.value : undefined;
      }
      if (n.kind === EXTENSION) {
        if (commonPrefixLength(nibbles, off, n.path) !== n.path.length) return undefined;
        off += n.path.length;
        node = n.child;
        continue;
      }
      if (off === nibbles.length) return n.value ?? undefined;
      node = n.children[nibbles[off]!] ?? null;
      off++;
    }
    return undefined;
  }

  /**
   * An upper bound on the nodes this trie holds in memory (loaded or created since it was opened):
   * owners reopen a trie at its root when this grows too large.
   */
  get residentNodes(): number {
    return this.loadedNodes;
  }

  /** Sets `key` to `value`; an empty value deletes the key, as in Ethereum's state trie. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.loadedNodes += 2;
    if (value.length === 0) {
      this.del(key);
      return;
    }
    this.root = this.insert(this.root, bytesToNibbles(key), 0, value);
  }

  del(key: Uint8Array): void {
    const r = this.remove(this.root, bytesToNibbles(key), 0);
    if (r !== undefined) this.root = r;
  }

  /** The root hash; hashes dirty nodes but does not collect them (use `commit` to persist). */
  rootHash(): Uint8Array {
    return this.commit(false).root;
  }

  /** Hashes every dirty node and returns the root plus the new nodes to store. */
  commit(collect = true): TrieCommit {
    const nodes: [Uint8Array, Uint8Array][] = [];
    if (this.root === null) return { root: EMPTY_TRIE_ROOT, nodes };
    const sink = collect ? nodes : null;
    const ref = this.computeRef(this.root, sink);
    if (ref.length === 32) return { root: ref, nodes };
    // A root under 32 bytes is still referenced by its hash.
    const hash = keccak256(ref);
    sink?.push([hash, ref]);
    return { root: hash, nodes };
  }

  /**
   * The encoded nodes from the root towards `key` (an EIP-1186 proof): the root always, then every
   * node stored by hash; nodes embedded in their parent are covered by the parent's encoding.
   */
  prove(key: Uint8Array): Uint8Array[] {
    const proof: Uint8Array[] = [];
    const nibbles = bytesToNibbles(key);
    let node = this.root;
    let off = 0;
    let first = true;
    while (node !== null) {
      const n = this.resolve(node);
      const enc = this.encode(n, null);
      if (first || enc.length >= 32) proof.push(enc);
      first = false;
      if (n.kind === LEAF) break;
      if (n.kind === EXTENSION) {
        if (commonPrefixLength(nibbles, off, n.path) !== n.path.length) break;
        off += n.path.length;
        node = n.child;
      } else {
        if (off === nibbles.length) break;
        node = n.children[nibbles[off]!] ?? null;
        off++;
      }
    }
    return proof;
  }

  /** Visits every (key, value) in key order; loads nodes as needed. */
  *entries(): Generator<{ key: Uint8Array; value: Uint8Array }> {
    yield* this.walk(this.root, []);
  }

  private *walk(node: TrieNode | null, prefix: number[]): Generator<{ key: Uint8Array; value: Uint8Array }> {
    if (node === null) return;
    const n = this.resolve(node);
    if (n.kind === LEAF) {
      yield { key: nibbleArrayToBytes([...prefix, ...n.path]), value: n.value };
    } else if (n.kind === EXTENSION) {
      yield* this.walk(n.child, [...prefix, ...n.path]);
    } else {
      if (n.value) yield { key: nibbleArrayToBytes(prefix), value: n.value };
      for (let i = 0; i < 16; i++) yield* this.walk(n.children[i] ?? null, [...prefix, i]);
    }
  }

  private insert(node: TrieNode | null, key: Uint8Array, off: number, value: Uint8Array): Resolved {
    if (node === null) return { kind: LEAF, path: key.slice(off), value };
    const n = this.resolve(node);
    if (n.kind === BRANCH) {
      if (off === key.length) n.value = value;
      else {
        const i = key[off]!;
        n.children[i] = this.insert(n.children[i] ?? null, key, off + 1, value);
      }
      n.ref = undefined;
      return n;
    }
    const cp = commonPrefixLength(key, off, n.path);
    if (n.kind === LEAF && cp === n.path.length && off + cp === key.length) {
      n.value = value;
      n.ref = undefined;
      return n;
    }
    if (n.kind === EXTENSION && cp === n.path.length) {
      n.child = this.insert(n.child, key, off + cp, value);
      n.ref = undefined;
      return n;
    }
    // Split at the first differing nibble.
    const branch: BranchNode = { kind: BRANCH, children: new Array(16).fill(null), value: null };
    if (n.kind === LEAF) {
      if (n.path.length === cp) branch.value = n.value;
      else branch.children[n.path[cp]!] = { kind: LEAF, path: n.path.slice(cp + 1), value: n.value };
    } else {
      branch.children[n.path[cp]!] = n.path.length - cp === 1 ? n.child : { kind: EXTENSION, path: n.path.slice(cp + 1), child: n.child };
    }
    if (off + cp === key.length) branch.value = value;
    else branch.children[key[off + cp]!] = { kind: LEAF, path: key.slice(off + cp + 1), value };
    return cp > 0 ? { kind: EXTENSION, path: key.slice(off, off + cp), child: branch } : branch;
  }

  /** Returns the replacement node, `null` if the subtree became empty, `undefined` if unchanged. */
  private remove(node: TrieNode | null, key: Uint8Array, off: number): Resolved | null | undefined {
    if (node === null) return undefined;
    const n = this.resolve(node);
    if (n.kind === LEAF) {
      return n.path.length === key.length - off && commonPrefixLength(key, off, n.path) === n.path.length ? null : undefined;
    }
    if (n.kind === EXTENSION) {
      if (commonPrefixLength(key, off, n.path) !== n.path.length) return undefined;
      const r = this.remove(n.child, key, off + n.path.length);
      if (r === undefined) return undefined;
      if (r === null) return null;
      if (r.kind === BRANCH) {
        n.child = r;
        n.ref = undefined;
        return n;
      }
      return r.kind === LEAF
        ? { kind: LEAF, path: concatNibbles(n.path, r.path), value: r.value }
        : { kind: EXTENSION, path: concatNibbles(n.path, r.path), child: r.child };
    }
    if (off === key.length) {
      if (n.value === null) return undefined;
      n.value = null;
    } else {
      const i = key[off]!;
      const r = this.remove(n.children[i] ?? null, key, off + 1);
      if (r === undefined) return undefined;
      n.children[i] = r;
    }
    n.ref = undefined;
    return this.normalizeBranch(n);
  }

  private normalizeBranch(n: BranchNode): Resolved | null {
    let count = 0;
    let only = -1;
    for (let i = 0; i < 16; i++) {
      if (n.children[i] !== null) {
        count++;
        only = i;
      }
    }
    if (count + (n.value ? 1 : 0) >= 2) return n;
    if (count === 0) return n.value ? { kind: LEAF, path: new Uint8Array(0), value: n.value } : null;
    const child = this.resolve(n.children[only]!);
    const prefix = Uint8Array.of(only);
    if (child.kind === LEAF) return { kind: LEAF, path: concatNibbles(prefix, child.path), value: child.value };
    if (child.kind === EXTENSION) return { kind: EXTENSION, path: concatNibbles(prefix, child.path), child: child.child };
    return { kind: EXTENSION, path: prefix, child };
  }

  private resolve(node: TrieNode): Resolved {
    if (node.kind !== HASH) return node;
    const enc = this.db?.getNode(node.ref);
    if (enc === undefined) {
      throw new CoreError(
        { code: CoreErrorCode.DB_ERROR, op: "trie.resolve" },
        `missing trie node ${Buffer.from(node.ref).toString("hex")}`,
      );
    }
    const n = decodeNode(rlpDecode(enc));
    this.loadedNodes++;
    n.ref = node.ref;
    // Replace the hash reference in place so later walks do not reload it.
    Object.assign(node, n);
    return node as unknown as Resolved;
  }

  private computeRef(node: TrieNode, sink: [Uint8Array, Uint8Array][] | null): Uint8Array {
    if (node.ref !== undefined) return node.ref;
    const enc = this.encode(node, sink);
    if (enc.length < 32) {
      node.ref = enc;
      return enc;
    }
    const hash = keccak256(enc);
    sink?.push([hash, enc]);
    node.ref = hash;
    return hash;
  }

  private encode(node: Resolved | HashNode, sink: [Uint8Array, Uint8Array][] | null): Uint8Array {
    if (node.kind === HASH) return this.encode(this.resolve(node), sink);
    if (node.kind === BRANCH) {
      const refs: (Uint8Array | null)[] = new Array(16);
      let payload = node.value ? stringItemLength(node.value) : 1;
      for (let i = 0; i < 16; i++) {
        const c = node.children[i];
        const r = c ? this.computeRef(c, sink) : null;
        refs[i] = r;
        payload += refItemLength(r);
      }
      const out = new Uint8Array(headerLength(payload) + payload);
      let pos = writeHeader(out, 0, 0xc0, payload);
      for (const r of refs) pos = writeRef(out, pos, r);
      if (node.value) writeString(out, pos, node.value);
      else out[pos] = 0x80;
      return out;
    }
    const hp = encodeHexPrefix(node.path, node.kind === LEAF);
    const ref = node.kind === EXTENSION ? this.computeRef(node.child, sink) : null;
    const payload = stringItemLength(hp) + (node.kind === LEAF ? stringItemLength(node.value) : refItemLength(ref));
    const out = new Uint8Array(headerLength(payload) + payload);
    const pos = writeString(out, writeHeader(out, 0, 0xc0, payload), hp);
    if (node.kind === LEAF) writeString(out, pos, node.value);
    else writeRef(out, pos, ref);
    return out;
  }
}

/** Bytes a child reference takes in its parent: empty (0x80), a hash as a string, or an inlined node. */
function refItemLength(ref: Uint8Array | null): number {
  return ref === null ? 1 : ref.length === 32 ? 33 : ref.length;
}

function writeRef(out: Uint8Array, pos: number, ref: Uint8Array | null): number {
  if (ref === null) {
    out[pos] = 0x80;
    return pos + 1;
  }
  if (ref.length === 32) {
    out[pos] = 0xa0;
    out.set(ref, pos + 1);
    return pos + 33;
  }
  out.set(ref, pos);
  return pos + ref.length;
}

function decodeNode(d: RLPDecoded): Resolved {
  if (!Array.isArray(d)) throw invalidNode("node is not a list");
  if (d.length === 17) {
    const children: (TrieNode | null)[] = new Array(16);
    for (let i = 0; i < 16; i++) children[i] = decodeChild(d[i]!);
    const v = d[16]!;
    if (Array.isArray(v)) throw invalidNode("branch value is a list");
    return { kind: BRANCH, children, value: v.length === 0 ? null : v };
  }
  if (d.length !== 2) throw invalidNode(`node has ${d.length} items`);
  const [p, second] = d as [RLPDecoded, RLPDecoded];
  if (Array.isArray(p)) throw invalidNode("path is a list");
  const hp = decodeHexPrefix(p);
  if (!hp) throw invalidNode("bad hex-prefix path");
  if (hp.leaf) {
    if (Array.isArray(second)) throw invalidNode("leaf value is a list");
    return { kind: LEAF, path: hp.path, value: second };
  }
  const child = decodeChild(second);
  if (child === null) throw invalidNode("extension without child");
  return { kind: EXTENSION, path: hp.path, child };
}

function decodeChild(item: RLPDecoded): TrieNode | null {
  if (Array.isArray(item)) {
    const n = decodeNode(item);
    n.ref = rlpEncode(item);
    return n;
  }
  if (item.length === 0) return null;
  if (item.length !== 32) throw invalidNode(`child reference of ${item.length} bytes`);
  return { kind: HASH, ref: item };
}

function invalidNode(reason: string): CoreError {
  return new CoreError({ code: CoreErrorCode.INVALID_RLP, reason }, `invalid trie node: ${reason}`);
}

function concatNibbles(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function nibbleArrayToBytes(nibbles: number[]): Uint8Array {
  const out = new Uint8Array(nibbles.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nibbles[2 * i]! << 4) | nibbles[2 * i + 1]!;
  return out;
}

function isEmptyRoot(root: Uint8Array): boolean {
  return root.length === 32 && Buffer.compare(root, EMPTY_TRIE_ROOT) === 0;
}

/** The root of a trie holding `entries` (transactions and receipts tries keyed by rlp(index)). */
export function computeTrieRoot(entries: Iterable<[Uint8Array, Uint8Array]>): Uint8Array {
  const t = new MerklePatriciaTrie();
  for (const [k, v] of entries) t.put(k, v);
  return t.rootHash();
}
