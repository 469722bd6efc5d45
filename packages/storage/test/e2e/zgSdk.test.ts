import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Downloader, getFlowContract, MemData, StorageNode, Uploader } from "@0glabs/0g-ts-sdk";
import { bytesToHex } from "@zerog/core";
import { JsonRpcProvider, Wallet } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import { account } from "../../../cli/test/e2e/helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "../../../cli/test/e2e/helpers/node.js";
import { makeTempDir } from "../../../cli/test/e2e/helpers/processes.js";
import { fileBytes, makeFile } from "../fixtures.js";
import { FLOW, type StorageProc, startStorageNode, waitFinalized } from "./helpers.js";

useE2ECleanup();

let chain: TestNode;
let node: StorageProc;

beforeAll(async () => {
  chain = await startNode({ name: "chain" });
  node = await startStorageNode(chain.url, { name: "storage 0/1" });
});

describe("0G's own TS SDK (@0glabs/0g-ts-sdk 0.3.3) against the node", () => {
  it("Uploader submits through our Flow and uploads; Downloader reads the file back", async () => {
    const status = await node.call<{ networkIdentity: { flowAddress: string } }>("zgs_getStatus");
    expect(status.networkIdentity.flowAddress).toBe(FLOW);
    const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, pollingInterval: 100 });
    const signer = new Wallet(account(3).privateKey, provider);
    const uploader = new Uploader([new StorageNode(node.url)], chain.url, getFlowContract(status.networkIdentity.flowAddress, signer));
    const bytes = fileBytes(700_000, 31);
    const [res, err] = await uploader.uploadFile(new MemData(bytes), {
      tags: "0x",
      finalityRequired: true,
      taskSize: 10,
      expectedReplica: 1,
      skipTx: false,
      fee: 0n,
    });
    expect(err).toBeNull();
    expect(res.rootHash).toBe(bytesToHex(makeFile(700_000, 31).root));
    const info = await node.call<{ tx: { seq: number } }>("zgs_getFileInfo", [res.rootHash, true]);
    await waitFinalized(node, info.tx.seq);
    const out = join(makeTempDir("zg-sdk-dl-"), "file.bin");
    const dlErr = await new Downloader([new StorageNode(node.url)]).downloadFile(res.rootHash, out, true);
    expect(dlErr).toBeNull();
    expect(new Uint8Array(readFileSync(out))).toEqual(bytes);
  });
});
