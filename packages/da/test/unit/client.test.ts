import { fastAggregateVerify, PublicKey, Signature } from "@chainsafe/blst";
import { bytesToHex, createSilentLogger, JsonRpcServer, MemoryStore } from "@zerog/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aggregateQuorumSignatures,
  type BlobColumns,
  blobSignMessage,
  CellStore,
  commitmentsHashOf,
  type DASignerKey,
  DaErrorCode,
  daSignerKeyFromSeed,
  type EncodedBlob,
  encodeBlob,
  registerSignerRoutes,
  retrieveBlob,
  SIGNED_SLOTS_NEEDED,
  SignerClient,
  sampleBlob,
  samplesFor,
  samplingFailureBound,
  slotsOf,
} from "../../src/index.js";

// Four signers on 127.0.0.1, each holding the slots ≡ i (mod 4) of quorum 0 in epoch 1.
const addresses = [1, 2, 3, 4].map((i) => `0x${i.toString(16).padStart(40, "0")}`);
const quorum = Array.from({ length: 128 }, (_, s) => addresses[s % 4]!);
const keys: DASignerKey[] = addresses.map((_, i) => daSignerKeyFromSeed(new Uint8Array(32).fill(i + 1)));
const memories = addresses.map(() => new MemoryStore());
const servers: JsonRpcServer[] = [];
let clients: SignerClient[];
const uploaded = new Set<string>();
const data = new Uint8Array(200_000).map((_, i) => (i * 13 + (i >> 9)) & 0xff); // 2 rows
let blob: EncodedBlob;
const ref = () => ({ dataRoot: blob.dataRoot, epoch: 1, quorumId: 0 });

function columnsFor(address: string): BlobColumns {
  const columns = slotsOf(quorum, address);
  return {
    ...ref(),
    commitments: blob.rows.map((r) => r.commitment),
    columns,
    cells: columns.map((c) => blob.rows.map((r) => r.cells[c]!)),
    proofs: columns.map((c) => blob.rows.map((r) => r.proofs[c]!)),
  };
}

beforeAll(async () => {
  blob = encodeBlob(data);
  uploaded.add(bytesToHex(blob.dataRoot));
  for (const [i, address] of addresses.entries()) {
    const server = new JsonRpcServer({ host: "127.0.0.1", port: 0 }, { logger: createSilentLogger(), metrics: null });
    registerSignerRoutes(server, {
      store: new CellStore(memories[i]!),
      chain: { quorum: async (e, q) => (e === 1 && q === 0 ? quorum : null), dataUploaded: async (root) => uploaded.has(bytesToHex(root)) },
      key: keys[i]!,
      address,
      logger: createSilentLogger(),
    });
    await server.start();
    servers.push(server);
  }
  clients = servers.map((s) => new SignerClient(s.url));
}, 60_000);

afterAll(() => Promise.all(servers.map((s) => s.stop())));

describe("disperser and client side against four real signers", () => {
  it("collects each signer's signature over its columns and aggregates ≥ 2/3 of the slots", async () => {
    const signatures = await Promise.all(addresses.map((a, i) => clients[i]!.sign(columnsFor(a))));
    const message = blobSignMessage({ ...ref(), commitmentsHash: commitmentsHashOf(blob.rows.map((r) => r.commitment)) });
    const registered = new Map(addresses.map((a, i) => [a, keys[i]!.publicKey]));
    // Signer 4 answers garbage: it is left out, and 3 × 32 = 96 slots remain (86 needed).
    const answers = addresses.map((address, i) => ({ address, signature: i === 3 ? signatures[0]! : signatures[i]! }));
    const agg = aggregateQuorumSignatures(quorum, message, registered, answers);
    expect(agg.signers).toEqual(addresses.slice(0, 3));
    expect(agg.rejected).toEqual([{ address: addresses[3], reason: "the signature does not verify under its registered key" }]);
    expect([agg.signedSlots, agg.enough, SIGNED_SLOTS_NEEDED]).toEqual([96, true, 86]);
    // Bitmap: LSB first, slots ≡ 0, 1, 2 (mod 4) set.
    expect([...agg.bitmap]).toEqual(Array(16).fill(0b01110111));
    const sig = Signature.fromBytes(agg.signature, true);
    const pks = keys.slice(0, 3).map((k) => PublicKey.fromBytes(k.publicKey));
    expect(fastAggregateVerify(message, pks, sig)).toBe(true);
    // Two signers are 64 slots: not enough.
    expect(aggregateQuorumSignatures(quorum, message, registered, answers.slice(0, 2)).enough).toBe(false);
  });

  it("retrieves the exact bytes from all signers (direct) and from any two (recovered)", async () => {
    const all = await retrieveBlob({ ref: ref(), signers: clients });
    expect(Buffer.from(all.data).equals(Buffer.from(data))).toBe(true);
    expect(all.recoveredRows).toBe(0);
    const two = await retrieveBlob({ ref: ref(), signers: [clients[2]!, clients[3]!] });
    expect(Buffer.from(two.data).equals(Buffer.from(data))).toBe(true);
    expect(two.recoveredRows).toBe(2);
  });

  it("a signer serving a corrupted cell is caught by the proof and its other columns still count", async () => {
    // Flip one byte of one stored cell on signer 1 (its column 1 of row 0).
    for (const { key, value } of memories[1]!.range({})) {
      if (key[0] === 0x02 && key[key.length - 1] === 1) {
        const bad = new Uint8Array(value);
        bad[77]! ^= 0xff;
        await memories[1]!.batch([{ type: "put", key, value: bad }]);
      }
    }
    const got = await retrieveBlob({ ref: ref(), signers: [clients[1]!, clients[2]!, clients[3]!] });
    expect(Buffer.from(got.data).equals(Buffer.from(data))).toBe(true);
    expect(got.report[0]).toEqual({ url: clients[1]!.url, columns: 31, error: "1 column(s) failed their proofs" });
    // Signer 1 and one other are then not enough: 31 + 32 verified columns < 64.
    const err = await retrieveBlob({ ref: ref(), signers: [clients[1]!, clients[2]!] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: { code: DaErrorCode.UNAVAILABLE } });
    expect((err as Error).message).toMatch(/63 verified columns of the 64 needed/);
  });

  it("samples random cells; fails when most columns are withheld; k = 20 for 1e-6", async () => {
    expect(samplesFor(1e-6)).toBe(20);
    expect(samplingFailureBound(20)).toBeLessThan(1e-6);
    let seed = 1;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const signers = new Map(addresses.map((a, i) => [a, clients[i]!]));
    const all = await sampleBlob({ ref: ref(), quorum, signers, random });
    expect(all.samples.length).toBe(20);
    // Only the cell corrupted above (row 0, column 1) can fail.
    const corrupt = all.samples.filter((x) => x.row === 0 && x.column === 1);
    expect(all.samples.filter((x) => !x.ok)).toEqual(corrupt);
    expect(all.passed).toBe(corrupt.length === 0);
    // Signer 1 withholds (25 % of the columns): the samples in its columns fail for want of it.
    const some = await sampleBlob({ ref: ref(), quorum, signers: new Map([...signers].filter(([a]) => a !== addresses[1])), random });
    const missing = some.samples.filter((x) => x.signer === addresses[1]);
    expect(some.samples.filter((x) => !x.ok)).toEqual(missing);
    expect(missing.every((x) => x.reason === "no known URL for its signer")).toBe(true);
    // Three of four signers withhold (75 % of the columns): sampling fails.
    const few = await sampleBlob({ ref: ref(), quorum, signers: new Map([[addresses[3]!, clients[3]!]]), random });
    expect(few.passed).toBe(false);
    expect(few.samples.filter((s) => s.ok).every((s) => s.column % 4 === 3)).toBe(true);
  });
});
