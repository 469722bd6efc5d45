import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { bytesToHex, createSilentLogger, hexToBytes, JsonRpcServer, MemoryStore } from "@zerog/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BlobColumns,
  blobSignMessage,
  CellStore,
  commitmentsHashOf,
  DaErrorCode,
  daSignerKeyFromSeed,
  decodeBlobColumns,
  type EncodedBlob,
  encodeBlob,
  encodeBlobColumns,
  registerSignerRoutes,
  type SignerChainView,
  verifyCells,
} from "../../src/index.js";

const ME = "0x00000000000000000000000000000000000000a1";
const OTHER = "0x00000000000000000000000000000000000000b2";
/** Quorum 0 of epoch 3: this signer holds every slot ≡ 1 (mod 4). */
const quorum = Array.from({ length: 128 }, (_, s) => (s % 4 === 1 ? ME : OTHER));
const mine = quorum.flatMap((o, s) => (o === ME ? [s] : []));
const key = daSignerKeyFromSeed(new Uint8Array(32).fill(5));

const uploaded = new Set<string>();
let gate: Promise<void> = Promise.resolve();
const chain: SignerChainView = {
  quorum: async (epoch, quorumId) => {
    await gate;
    return epoch === 3 && quorumId === 0 ? quorum : null;
  },
  dataUploaded: async (root, epoch, quorumId) => uploaded.has(`${bytesToHex(root)}/${epoch}/${quorumId}`),
};

let encoded: EncodedBlob;
let server: JsonRpcServer;
const store = new CellStore(new MemoryStore());

function request(columns: number[], blob: EncodedBlob = encoded): BlobColumns {
  return {
    dataRoot: blob.dataRoot,
    epoch: 3,
    quorumId: 0,
    commitments: blob.rows.map((r) => r.commitment),
    columns,
    cells: columns.map((c) => blob.rows.map((r) => r.cells[c]!)),
    proofs: columns.map((c) => blob.rows.map((r) => r.proofs[c]!)),
  };
}

const post = (path: string, body: Uint8Array | string) => fetch(`${server.url}${path}`, { method: "POST", body });
const sign = (b: BlobColumns | Uint8Array) => post("/v1/sign", b instanceof Uint8Array ? b : encodeBlobColumns(b));

beforeAll(async () => {
  encoded = encodeBlob(new Uint8Array(150_000).map((_, i) => (i * 7) & 0xff)); // 2 rows
  uploaded.add(`${bytesToHex(encoded.dataRoot)}/3/0`);
  server = new JsonRpcServer({ host: "127.0.0.1", port: 0 }, { logger: createSilentLogger(), metrics: null });
  registerSignerRoutes(server, { store, chain, key, address: ME, logger: createSilentLogger(), maxOngoingSigns: 1 });
  await server.start();
}, 60_000);

afterAll(() => server.stop());

describe("DA signer HTTP API", () => {
  it("verifies its columns, stores them and signs (dataRoot, epoch, quorum, commitments hash)", async () => {
    const res = await sign(request(mine));
    expect(res.status).toBe(200);
    const { signature, signer } = (await res.json()) as { signature: string; signer: string };
    expect(signer).toBe(ME);
    const message = blobSignMessage({
      dataRoot: encoded.dataRoot,
      epoch: 3,
      quorumId: 0,
      commitmentsHash: commitmentsHashOf(encoded.rows.map((r) => r.commitment)),
    });
    expect(verify(message, PublicKey.fromBytes(key.publicKey), Signature.fromBytes(hexToBytes(signature), true))).toBe(true);
    // Asked again (a disperser retrying): the same signature, nothing stored twice.
    expect(((await (await sign(request(mine))).json()) as { signature: string }).signature).toBe(signature);
    expect(await (await fetch(`${server.url}/v1/status`)).json()).toMatchObject({ statusCode: 200, signer: ME, blobs: 1 });
  });

  it("refuses what it must not sign, saying why", async () => {
    const other = encodeBlob(new Uint8Array(1000).fill(1));
    const refused = async (b: BlobColumns | Uint8Array, why: RegExp, code: string = DaErrorCode.SIGN_REJECTED) => {
      const res = await sign(b);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe(code);
      expect(error.message).toMatch(why);
    };
    await refused(request(mine, other), /no DataUpload/);
    uploaded.add(`${bytesToHex(other.dataRoot)}/3/0`);
    const flipped = request(mine, other);
    flipped.cells[3]![0] = new Uint8Array(flipped.cells[3]![0]!);
    flipped.cells[3]![0]![100]! ^= 1;
    await refused(flipped, /does not verify/);
    await refused(request(mine.slice(1), other), /slots are/);
    await refused(
      request(
        [...mine, 2].sort((a, b) => a - b),
        other,
      ),
      /slots are/,
    );
    await refused({ ...request(mine, other), quorumId: 1 }, /no quorum 1/);
    await refused({ ...request(mine, other), dataRoot: encoded.dataRoot }, /signed with other commitments/);
    uploaded.add(`${bytesToHex(encoded.dataRoot)}/3/0`);
    const swapped = { ...request(mine, other), commitments: [other.rows[0]!.commitment] };
    await refused({ ...swapped, dataRoot: other.dataRoot, commitments: [encoded.rows[0]!.commitment] }, /do not hash/);
    await refused(new Uint8Array([0, 0, 0, 9, 1, 2]), /meta/, DaErrorCode.BAD_REQUEST);
    await refused(encodeBlobColumns(request(mine, other)).subarray(0, 5000), /bytes/, DaErrorCode.BAD_REQUEST);
    // None of it was stored; the good blob of the other data root still signs.
    expect((await sign(request(mine, other))).status).toBe(200);
  });

  it("answers 503 while its sign requests are all busy", async () => {
    let open!: () => void;
    gate = new Promise((r) => {
      open = r;
    });
    const fresh = encodeBlob(new Uint8Array(10).fill(4));
    uploaded.add(`${bytesToHex(fresh.dataRoot)}/3/0`);
    const first = sign(request(mine, fresh));
    await new Promise((r) => setTimeout(r, 50));
    const second = await sign(request(mine, fresh));
    expect(second.status).toBe(503);
    open();
    gate = Promise.resolve();
    expect((await first).status).toBe(200);
  });

  it("returns stored columns and single cells that verify; unknown blobs are 404", async () => {
    const q = { dataRoot: bytesToHex(encoded.dataRoot), epoch: 3, quorumId: 0 };
    const res = await post("/v1/retrieve", JSON.stringify({ ...q, columns: [mine[2], 0, mine[5]] }));
    expect(res.headers.get("content-type")).toBe("application/vnd.zerog.da-columns");
    const got = decodeBlobColumns(new Uint8Array(await res.arrayBuffer()));
    expect(got.columns).toEqual([mine[2], mine[5]]);
    const commitments = encoded.rows.map((r) => r.commitment);
    const cells = got.columns.flatMap((column, k) =>
      got.cells[k]!.map((cell, row) => ({ row, column, cell, proof: got.proofs[k]![row]! })),
    );
    expect(cells.length).toBe(4);
    expect(verifyCells(commitments, cells)).toBe(true);
    expect((await post("/v1/retrieve", JSON.stringify({ ...q, epoch: 4 }))).status).toBe(404);
    expect((await post("/v1/retrieve", "{nope")).status).toBe(400);

    const cellURL = (row: number, column: number, root = q.dataRoot) =>
      `${server.url}/v1/cell?dataRoot=${root}&epoch=3&quorumId=0&row=${row}&column=${column}`;
    const one = (await (await fetch(cellURL(1, mine[7]!))).json()) as { cell: string; proof: string; commitment: string };
    expect(verifyCells(commitments, [{ row: 1, column: mine[7]!, cell: hexToBytes(one.cell), proof: hexToBytes(one.proof) }])).toBe(true);
    expect(one.commitment).toBe(bytesToHex(commitments[1]!));
    expect((await fetch(cellURL(0, 0))).status).toBe(404); // column 0 is not this signer's
    expect((await fetch(cellURL(2, mine[0]!))).status).toBe(404); // two rows only
    expect((await fetch(cellURL(0, 1, "0x1234"))).status).toBe(400);
    expect((await fetch(`${server.url}/v1/cell?dataRoot=${q.dataRoot}&epoch=x&quorumId=0&row=0&column=1`)).status).toBe(400);
  });
});
